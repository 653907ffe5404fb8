import { Fragment } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Hit } from '../../api';
import { Highlighted } from '../../components/Highlighted';
import { formatNumber, formatTime, formatValue, toEpochMs } from '../../lib/format';
import { memo } from '../../lib/memo';
import type { SortDir } from '../../lib/state';
import { flattenSource, type Primitive } from '../../lib/topValues';

export interface DocumentTableProps {
  hits: Hit[];
  total: number;
  totalRelation: 'eq' | 'gte';
  /** More documents can be fetched (searchAfter). */
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  columns: string[];
  timeField: string | null;
  sort: SortDir;
  onSort: (sort: SortDir) => void;
  onColumns: (columns: string[]) => void;
  onFilter: (field: string, value: Primitive, negate: boolean) => void;
}

const hitKey = (hit: Hit, i: number): string => `${hit._index}/${hit._id}/${i}`;

/** "Documents": time column and chosen columns (or the _source summary), infinite scroll, row details. */
export function DocumentTable(props: DocumentTableProps) {
  const { hits, total, totalRelation, hasMore, loadingMore, onLoadMore, columns, timeField, sort, onSort, onColumns, onFilter } = props;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const sentinel = useRef<HTMLDivElement>(null);
  const toggle = useCallback((key: string) => {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }, []);

  // A new result set (first page) collapses every row.
  const first = hits[0];
  useEffect(() => setExpanded(new Set()), [first]);

  // Infinite scroll: observing anew after each page re-checks whether the sentinel is still visible.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore || loadingMore || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onLoadMore();
    }, { rootMargin: '200px' });
    io.observe(el);
    return () => io.disconnect();
  }, [hits.length, hasMore, loadingMore, onLoadMore]);

  const move = (i: number, by: number): void => {
    const next = columns.slice();
    const [c] = next.splice(i, 1);
    next.splice(i + by, 0, c!);
    onColumns(next);
  };
  const toggleColumn = useCallback(
    (field: string) => onColumns(columns.includes(field) ? columns.filter((c) => c !== field) : [...columns, field]),
    [columns, onColumns],
  );
  const span = 1 + (timeField ? 1 : 0) + Math.max(1, columns.length);

  return (
    <div class="documents">
      <div class="table-scroll">
        <table aria-label="Documents" class="doc-table">
          <thead>
            <tr>
              <th scope="col" class="col-toggle">
                <span class="visually-hidden">Details</span>
              </th>
              {timeField && (
                <th scope="col" class="col-time" aria-sort={sort === 'desc' ? 'descending' : 'ascending'}>
                  <span class="th-label">{timeField}</span>
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={`Sort ${timeField} ${sort === 'desc' ? 'ascending' : 'descending'}`}
                    title={sort === 'desc' ? 'Sort ascending (oldest first)' : 'Sort descending (newest first)'}
                    onClick={() => onSort(sort === 'desc' ? 'asc' : 'desc')}
                  >
                    {sort === 'desc' ? '↓' : '↑'}
                  </button>
                </th>
              )}
              {columns.length === 0 ? (
                <th scope="col">Document</th>
              ) : (
                columns.map((c, i) => (
                  <th scope="col" key={c}>
                    <span class="th-label">{c}</span>
                    <span class="th-actions">
                      <button type="button" class="icon-button" aria-label={`Move column ${c} left`} disabled={i === 0} onClick={() => move(i, -1)}>
                        ←
                      </button>
                      <button type="button" class="icon-button" aria-label={`Move column ${c} right`} disabled={i === columns.length - 1} onClick={() => move(i, 1)}>
                        →
                      </button>
                      <button type="button" class="icon-button" aria-label={`Remove column ${c}`} onClick={() => onColumns(columns.filter((x) => x !== c))}>
                        ×
                      </button>
                    </span>
                  </th>
                ))
              )}
            </tr>
          </thead>
          <tbody>
            {hits.map((hit, i) => {
              const key = hitKey(hit, i);
              const open = expanded.has(key);
              return (
                <DocumentRows
                  key={key}
                  rowKey={key}
                  hit={hit}
                  columns={columns}
                  timeField={timeField}
                  expanded={open}
                  span={span}
                  onToggle={toggle}
                  onFilter={onFilter}
                  onToggleColumn={toggleColumn}
                />
              );
            })}
          </tbody>
        </table>
      </div>
      <div ref={sentinel} class="sentinel" aria-hidden="true" />
      <div class="table-footer">
        <span>
          Showing {formatNumber(hits.length)} of {totalRelation === 'gte' ? '≥ ' : ''}
          {formatNumber(total)} documents
        </span>
        {hasMore && (
          <button type="button" class="button load-more" onClick={onLoadMore} disabled={loadingMore} aria-busy={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </div>
  );
}

interface RowProps {
  rowKey: string;
  hit: Hit;
  columns: string[];
  timeField: string | null;
  expanded: boolean;
  span: number;
  onToggle: (key: string) => void;
  onFilter: DocumentTableProps['onFilter'];
  onToggleColumn: (field: string) => void;
}

const DocumentRows = memo(function DocumentRows({ rowKey, hit, columns, timeField, expanded, span, onToggle, onFilter, onToggleColumn }: RowProps) {
  const flat = flattenSource(hit._source);
  const time = timeField ? toEpochMs(flat.get(timeField)?.[0] ?? hit.sort?.[0]) : null;
  return (
    <>
      <tr class={expanded ? 'doc-row expanded' : 'doc-row'}>
        <td class="col-toggle">
          <button type="button" class="icon-button" aria-label="Toggle details" aria-expanded={expanded} onClick={() => onToggle(rowKey)}>
            {expanded ? '▾' : '▸'}
          </button>
        </td>
        {timeField && <td class="col-time">{time === null ? '-' : formatTime(time)}</td>}
        {columns.length === 0 ? (
          <td>
            <SourceSummary hit={hit} flat={flat} />
          </td>
        ) : (
          columns.map((c) => (
            <td key={c} class="doc-cell">
              <FieldValue hit={hit} field={c} values={flat.get(c)} />
            </td>
          ))
        )}
      </tr>
      {expanded && (
        <tr class="doc-details-row">
          <td colSpan={span}>
            <DocumentDetails hit={hit} flat={flat} columns={columns} onFilter={onFilter} onToggleColumn={onToggleColumn} />
          </td>
        </tr>
      )}
    </>
  );
});

function FieldValue({ hit, field, values }: { hit: Hit; field: string; values: Primitive[] | undefined }) {
  const hl = hit.highlight?.[field];
  if (hl && hl.length > 0) return <Highlighted fragments={hl} />;
  if (!values || values.length === 0) return <span class="subdued">-</span>;
  return <>{values.map(formatValue).join(', ')}</>;
}

const SUMMARY_FIELDS = 40;

function SourceSummary({ hit, flat }: { hit: Hit; flat: Map<string, Primitive[]> }) {
  const entries = [...flat.entries()].slice(0, SUMMARY_FIELDS);
  return (
    <dl class="source-summary">
      {entries.map(([name, values]) => (
        <Fragment key={name}>
          <dt>{name}</dt>
          <dd>
            <FieldValue hit={hit} field={name} values={values} />
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

interface DetailsProps {
  hit: Hit;
  flat: Map<string, Primitive[]>;
  columns: string[];
  onFilter: DocumentTableProps['onFilter'];
  onToggleColumn: (field: string) => void;
}

/** The expanded document: its fields as a table (with filter and column actions), or its JSON. */
function DocumentDetails({ hit, flat, columns, onFilter, onToggleColumn }: DetailsProps) {
  const [tab, setTab] = useState<'table' | 'json'>('table');
  const names = [...flat.keys()].sort((a, b) => a.localeCompare(b));
  const id = `doc-${hit._index}-${hit._id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return (
    <section class="doc-details" aria-label={`Document ${hit._id}`}>
      <div role="tablist" aria-label="Document view" class="tabs">
        <button type="button" role="tab" id={`${id}-tab-table`} aria-selected={tab === 'table'} aria-controls={`${id}-table`} onClick={() => setTab('table')}>
          Table
        </button>
        <button type="button" role="tab" id={`${id}-tab-json`} aria-selected={tab === 'json'} aria-controls={`${id}-json`} onClick={() => setTab('json')}>
          JSON
        </button>
      </div>
      {tab === 'table' ? (
        <div role="tabpanel" id={`${id}-table`} aria-labelledby={`${id}-tab-table`} class="table-scroll">
          <table class="fields-table" aria-label="Document fields">
            <thead>
              <tr>
                <th scope="col">Actions</th>
                <th scope="col">Field</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td />
                <th scope="row">_index</th>
                <td>{hit._index}</td>
              </tr>
              <tr>
                <td />
                <th scope="row">_id</th>
                <td>{hit._id}</td>
              </tr>
              {names.map((name) => {
                const values = flat.get(name)!;
                const single = values.length === 1 ? values[0]! : null;
                const text = values.map(formatValue).join(', ');
                return (
                  <tr key={name}>
                    <td class="row-actions">
                      {single !== null && (
                        <>
                          <button type="button" class="icon-button" aria-label={`Filter for ${name}: ${text}`} onClick={() => onFilter(name, single, false)}>
                            +
                          </button>
                          <button type="button" class="icon-button" aria-label={`Filter out ${name}: ${text}`} onClick={() => onFilter(name, single, true)}>
                            −
                          </button>
                        </>
                      )}
                      <button type="button" class="icon-button" aria-label={`Toggle column ${name}`} aria-pressed={columns.includes(name)} onClick={() => onToggleColumn(name)}>
                        ▥
                      </button>
                    </td>
                    <th scope="row">{name}</th>
                    <td class="doc-cell">
                      <FieldValue hit={hit} field={name} values={values} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : (
        <div role="tabpanel" id={`${id}-json`} aria-labelledby={`${id}-tab-json`}>
          <pre class="json-view" tabIndex={0} aria-label="Document JSON">
            {JSON.stringify({ _index: hit._index, _id: hit._id, _source: hit._source }, null, 2)}
          </pre>
        </div>
      )}
    </section>
  );
}

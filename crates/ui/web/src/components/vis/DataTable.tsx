import type { VisTable } from '../../api';
import { formatCell, tableRowFilters } from '../../lib/vis/model';
import { filterLabel, type Filter } from '../../lib/state';

export interface DataTableProps {
  table: VisTable;
  /** The table's accessible name. */
  label: string;
  /** Click-to-filter on a row (a button per row when given and the row has filters). */
  onFilters?: ((filters: Filter[]) => void) | undefined;
  /** Rows shown at most (the rest are counted below the table). */
  limit?: number;
}

/** A visualization's rows as a table: the data table chart itself, and every chart's alternative. */
export function DataTable({ table, label, onFilters, limit = 500 }: DataTableProps) {
  const rows = table.rows.slice(0, limit);
  const filtering = onFilters !== undefined && table.columns.some((c) => c.kind === 'bucket');
  return (
    // Focusable so keyboard users can scroll it (a panel is often smaller than its table).
    <div class="table-scroll vis-table" tabIndex={0}>
      <table aria-label={label}>
        <thead>
          <tr>
            {table.columns.map((c) => (
              <th key={c.id} scope="col" class={c.kind === 'metric' ? 'num' : undefined}>
                {c.name}
              </th>
            ))}
            {filtering && (
              <th scope="col">
                <span class="visually-hidden">Filter</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => {
            const filters = filtering ? tableRowFilters(table, r) : [];
            return (
              <tr key={r}>
                {table.columns.map((c, i) => (
                  <td key={c.id} class={c.kind === 'metric' ? 'num' : undefined}>
                    {formatCell(c, row[i])}
                  </td>
                ))}
                {filtering && (
                  <td>
                    {filters.length > 0 && (
                      <button
                        type="button"
                        class="icon-button"
                        aria-label={`Filter for ${filters.map(filterLabel).join(' and ')}`}
                        title="Filter for this row"
                        onClick={() => onFilters!(filters)}
                      >
                        ⊕
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {table.rows.length > rows.length && <p class="subdued">Showing {rows.length} of {table.rows.length} rows</p>}
    </div>
  );
}

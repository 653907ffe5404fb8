import { useEffect, useState } from 'preact/hooks';
import type { Field } from '../../api';
import {
  type Bucket,
  BUCKET_LABELS,
  BUCKET_TYPES,
  bucketFieldTypes,
  type BucketType,
  fieldsFor,
  type LegendPosition,
  type Metric,
  METRIC_LABELS,
  metricFieldTypes,
  metricLabel,
  metricTypes,
  type MetricType,
  orderableMetrics,
  roleLabel,
  type VisParams,
  type VisSpec,
} from '../../lib/vis/spec';

const INTERVALS = ['auto', '1m', '5m', '10m', '30m', '1h', '3h', '12h', '1d', '1w', '1M', '1y'];

function FieldSelect({ label, value, names, onChange }: { label: string; value: string | undefined; names: string[]; onChange: (v: string) => void }) {
  const options = value !== undefined && !names.includes(value) ? [value, ...names] : names;
  return (
    <label class="form-row">
      <span>{label}</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value)}>
        {value === undefined && (
          <option value="" disabled>
            Select a field
          </option>
        )}
        {options.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A number input that keeps what is typed until it parses (so "0." or "-" can be typed). */
function NumberInput({ label, value, onChange, min, step }: { label: string; value: number | null | undefined; onChange: (v: number | null) => void; min?: number; step?: string }) {
  const [text, setText] = useState(value == null ? '' : String(value));
  useEffect(() => {
    if (value == null ? text.trim() !== '' : Number(text) !== value) setText(value == null ? '' : String(value));
  }, [value]);
  return (
    <label class="form-row">
      <span>{label}</span>
      <input
        type="number"
        value={text}
        min={min}
        step={step ?? 'any'}
        onInput={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          if (t.trim() === '') onChange(null);
          else if (Number.isFinite(Number(t))) onChange(Number(t));
        }}
      />
    </label>
  );
}

export interface MetricEditorProps {
  spec: VisSpec;
  metric: Metric;
  index: number;
  fields: Field[];
  timeField: string | null;
  onChange: (patch: Partial<Metric>) => void;
  onRemove: (() => void) | null;
}

export function MetricEditor({ spec, metric, index, fields, onChange, onRemove }: MetricEditorProps) {
  const types = metricFieldTypes(metric.type);
  const [percents, setPercents] = useState((metric.percents ?? []).join(', '));
  useEffect(() => setPercents((metric.percents ?? []).join(', ')), [metric.id, metric.type]);
  return (
    <fieldset class="agg-editor">
      <legend>
        Metric {index + 1} <span class="subdued">{metricLabel(metric)}</span>
      </legend>
      <label class="form-row">
        <span>Aggregation</span>
        <select value={metric.type} onChange={(e) => onChange({ type: e.currentTarget.value as MetricType })}>
          {metricTypes(spec.type).map((t) => (
            <option key={t} value={t}>
              {METRIC_LABELS[t]}
            </option>
          ))}
        </select>
      </label>
      {types && <FieldSelect label="Field" value={metric.field} names={fieldsFor(fields, types)} onChange={(field) => onChange({ field })} />}
      {metric.type === 'percentiles' && (
        <label class="form-row">
          <span>Percents</span>
          <input
            type="text"
            value={percents}
            aria-describedby={`percents-help-${metric.id}`}
            onInput={(e) => {
              const t = e.currentTarget.value;
              setPercents(t);
              const list = t.split(/[,\s]+/).filter((x) => x !== '').map(Number);
              onChange({ percents: list.every((n) => Number.isFinite(n)) ? list : [] });
            }}
          />
          <span id={`percents-help-${metric.id}`} class="subdued">
            Comma-separated, 0 to 100
          </span>
        </label>
      )}
      {metric.type === 'top_hit' && (
        <FieldSelect label="Sort by" value={metric.sortField} names={fieldsFor(fields, ['date', 'number'])} onChange={(sortField) => onChange({ sortField })} />
      )}
      {onRemove && (
        <button type="button" class="button button-danger-text" aria-label={`Remove metric ${index + 1}`} onClick={onRemove}>
          Remove
        </button>
      )}
    </fieldset>
  );
}

export interface BucketEditorProps {
  spec: VisSpec;
  bucket: Bucket;
  index: number;
  fields: Field[];
  onChange: (patch: Partial<Bucket>) => void;
  onRemove: () => void;
  onMove: ((delta: -1 | 1) => void) | null;
}

export function BucketEditor({ spec, bucket, index, fields, onChange, onRemove, onMove }: BucketEditorProps) {
  const types = bucketFieldTypes(bucket.type);
  const role = roleLabel(spec.type, bucket.role);
  return (
    <fieldset class="agg-editor">
      <legend>
        Bucket {index + 1} <span class="subdued">{role}</span>
      </legend>
      <label class="form-row">
        <span>Aggregation</span>
        <select value={bucket.type} onChange={(e) => onChange({ type: e.currentTarget.value as BucketType })}>
          {BUCKET_TYPES.map((t) => (
            <option key={t} value={t}>
              {BUCKET_LABELS[t]}
            </option>
          ))}
        </select>
      </label>
      {types && <FieldSelect label="Field" value={bucket.field} names={fieldsFor(fields, types)} onChange={(field) => onChange({ field })} />}
      {bucket.type === 'terms' && <TermsOptions spec={spec} bucket={bucket} onChange={onChange} />}
      {bucket.type === 'date_histogram' && (
        <label class="form-row">
          <span>Interval</span>
          <input type="text" list="vis-intervals" value={bucket.interval ?? 'auto'} spellcheck={false} onInput={(e) => onChange({ interval: e.currentTarget.value.trim() })} />
          <datalist id="vis-intervals">
            {INTERVALS.map((i) => (
              <option key={i} value={i} />
            ))}
          </datalist>
        </label>
      )}
      {bucket.type === 'histogram' && (
        <NumberInput label="Minimum interval" value={bucket.histogramInterval} min={0} onChange={(v) => onChange({ histogramInterval: v ?? 0 })} />
      )}
      {bucket.type === 'range' && <RangeOptions bucket={bucket} onChange={onChange} />}
      {bucket.type === 'filters' && <FiltersOptions bucket={bucket} onChange={onChange} />}
      <div class="agg-actions">
        {onMove && (
          <>
            <button type="button" class="button" aria-label={`Move bucket ${index + 1} up`} onClick={() => onMove(-1)}>
              Up
            </button>
            <button type="button" class="button" aria-label={`Move bucket ${index + 1} down`} onClick={() => onMove(1)}>
              Down
            </button>
          </>
        )}
        <button type="button" class="button button-danger-text" aria-label={`Remove bucket ${index + 1}`} onClick={onRemove}>
          Remove
        </button>
      </div>
    </fieldset>
  );
}

function TermsOptions({ spec, bucket, onChange }: { spec: VisSpec; bucket: Bucket; onChange: (patch: Partial<Bucket>) => void }) {
  const order = bucket.order ?? { by: '_count', dir: 'desc' as const };
  return (
    <>
      <label class="form-row">
        <span>Order by</span>
        <select value={order.by} onChange={(e) => onChange({ order: { ...order, by: e.currentTarget.value } })}>
          <option value="_count">Count</option>
          {orderableMetrics(spec)
            .filter((m) => m.type !== 'count')
            .map((m) => (
              <option key={m.id} value={m.id}>
                Metric: {metricLabel(m)}
              </option>
            ))}
          <option value="_key">Alphabetical</option>
        </select>
      </label>
      <label class="form-row">
        <span>Order</span>
        <select value={order.dir} onChange={(e) => onChange({ order: { ...order, dir: e.currentTarget.value as 'asc' | 'desc' } })}>
          <option value="desc">Descending</option>
          <option value="asc">Ascending</option>
        </select>
      </label>
      <NumberInput label="Size" value={bucket.size} min={1} step="1" onChange={(v) => onChange({ size: v ?? 0 })} />
      <label class="checkbox">
        <input type="checkbox" checked={bucket.otherBucket === true} onChange={(e) => onChange({ otherBucket: e.currentTarget.checked })} />
        Group other values in separate bucket
      </label>
      <label class="checkbox">
        <input type="checkbox" checked={bucket.missingBucket === true} onChange={(e) => onChange({ missingBucket: e.currentTarget.checked })} />
        Show missing values
      </label>
    </>
  );
}

function RangeOptions({ bucket, onChange }: { bucket: Bucket; onChange: (patch: Partial<Bucket>) => void }) {
  const ranges = bucket.ranges ?? [];
  const set = (i: number, patch: Partial<(typeof ranges)[number]> | null): void => {
    const next = ranges.slice();
    if (patch === null) next.splice(i, 1);
    else next[i] = { ...next[i], ...patch };
    onChange({ ranges: next });
  };
  return (
    <div class="agg-list">
      {ranges.map((r, i) => (
        <div role="group" aria-label={`Range ${i + 1}`} class="agg-list-row" key={i}>
          <NumberInput label="From" value={r.from} onChange={(from) => set(i, { from })} />
          <NumberInput label="To" value={r.to} onChange={(to) => set(i, { to })} />
          <button type="button" class="icon-button" aria-label={`Remove range ${i + 1}`} onClick={() => set(i, null)}>
            ×
          </button>
        </div>
      ))}
      <button type="button" class="link-button" onClick={() => onChange({ ranges: [...ranges, { from: ranges.at(-1)?.to ?? 0, to: null }] })}>
        Add range
      </button>
    </div>
  );
}

function FiltersOptions({ bucket, onChange }: { bucket: Bucket; onChange: (patch: Partial<Bucket>) => void }) {
  const filters = bucket.filters ?? [];
  const set = (i: number, patch: Partial<(typeof filters)[number]> | null): void => {
    const next = filters.slice();
    if (patch === null) next.splice(i, 1);
    else next[i] = { ...next[i]!, ...patch };
    onChange({ filters: next });
  };
  return (
    <div class="agg-list">
      {filters.map((f, i) => (
        <div role="group" aria-label={`Filter ${i + 1}`} class="agg-list-row" key={i}>
          <label class="form-row">
            <span>KQL</span>
            <input type="text" value={f.query} spellcheck={false} placeholder="level:ERROR" onInput={(e) => set(i, { query: e.currentTarget.value, language: 'kuery' })} />
          </label>
          <label class="form-row">
            <span>Label</span>
            <input type="text" value={f.label ?? ''} onInput={(e) => set(i, e.currentTarget.value === '' ? { label: undefined } : { label: e.currentTarget.value })} />
          </label>
          <button type="button" class="icon-button" aria-label={`Remove filter ${i + 1}`} onClick={() => set(i, null)}>
            ×
          </button>
        </div>
      ))}
      <button type="button" class="link-button" onClick={() => onChange({ filters: [...filters, { query: '', language: 'kuery' }] })}>
        Add filter
      </button>
    </div>
  );
}

export function OptionsEditor({ spec, onChange }: { spec: VisSpec; onChange: (patch: Partial<VisParams>) => void }) {
  const t = spec.type;
  const xy = t === 'bar' || t === 'hbar' || t === 'line' || t === 'area';
  if (t === 'metric' || t === 'table') return null;
  return (
    <fieldset class="agg-editor">
      <legend>Options</legend>
      {(xy || t === 'pie') && (
      <label class="form-row">
        <span>Legend position</span>
        <select value={spec.params.legendPosition ?? 'right'} onChange={(e) => onChange({ legendPosition: e.currentTarget.value as LegendPosition })}>
          {(['right', 'left', 'top', 'bottom', 'none'] as const).map((p) => (
            <option key={p} value={p}>
              {p === 'none' ? 'Hidden' : p[0]!.toUpperCase() + p.slice(1)}
            </option>
          ))}
        </select>
      </label>
      )}
      {xy && (
        <label class="checkbox">
          <input type="checkbox" checked={spec.params.stacked === true} onChange={(e) => onChange({ stacked: e.currentTarget.checked })} />
          {t === 'bar' || t === 'hbar' ? 'Stacked bars' : 'Stacked'}
        </label>
      )}
      {t === 'pie' && (
        <label class="checkbox">
          <input type="checkbox" checked={spec.params.donut === true} onChange={(e) => onChange({ donut: e.currentTarget.checked })} />
          Donut
        </label>
      )}
      <label class="checkbox">
        <input type="checkbox" checked={spec.params.valueLabels === true} onChange={(e) => onChange({ valueLabels: e.currentTarget.checked })} />
        Show values
      </label>
    </fieldset>
  );
}

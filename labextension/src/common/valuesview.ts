/**
 * Values on the graph: what each node computes on the cell's inputs (or on
 * made-up ones, and the view says which), the first node whose value is not
 * finite, and, in the Rewrites tab, what the rewrites did to the numbers.
 *
 * Values are heavy, so they are computed only on request: the "Values"
 * toggle of a view asks the kernel once (`{type: 'values', view}`); the
 * answer arrives as `ViewValuesJSON` (the widget's `values` trait, or the
 * panel's `values` reply). Everything from the kernel reaches the page as
 * text.
 *
 * DOM hooks for browser tests (stable):
 *   .tg-values-bar                   per graph view
 *   .tg-values-toggle[aria-pressed]  show values in the inspector
 *   .tg-nonfinite                    select the first non-finite node
 *   .tg-values-status                which inputs, "computing values…", a reading
 *   .tg-values (dl) dt/dd            the inspector's value rows
 *   g.tg-nonfinite-node              the outlined first non-finite node
 *   .tg-numbers .tg-numbers-run      Rewrites tab: compare the numbers
 *   .tg-numbers li.tg-difference     one reading per output
 */
import { button, el, text } from './dom';
import { GraphView } from './graphview';
import { DifferenceJSON, ValueJSON, ViewValuesJSON } from './messages';
import { isViewValuesJSON } from './validators.generated';

/** The `values` trait, each view checked; a malformed one is left out. */
export function valuesOf(raw: unknown): Record<string, ViewValuesJSON> {
  const found: Record<string, ViewValuesJSON> = {};
  if (typeof raw === 'object' && raw !== null) {
    for (const [view, v] of Object.entries(raw)) {
      if (isViewValuesJSON(v)) {
        found[view] = v;
      }
    }
  }
  return found;
}

/** A number as the inspector shows it: short, exact for small integers. */
export function formatNumber(x: number | null): string {
  if (x === null) {
    return '—';
  }
  if (Number.isInteger(x) && Math.abs(x) < 1e6) {
    return String(x);
  }
  return x.toPrecision(4).replace(/\.?0+(e|$)/, '$1');
}

/** The inspector's rows for one value. */
export function valueRows(v: ValueJSON): [string, string][] {
  if (v.error) {
    return [['value', `none: ${v.error}`]];
  }
  const rows: [string, string][] = [
    ['value', v.preview],
    ['shape', `(${v.shape.join(', ')}${v.shape.length === 1 ? ',' : ''})`],
    ['dtype', v.dtype]
  ];
  if (v.min !== null || v.max !== null) {
    rows.push(['min', formatNumber(v.min)], ['max', formatNumber(v.max)]);
    rows.push(['mean', formatNumber(v.mean)]);
  }
  if (v.nan || v.inf) {
    rows.push(['NaN', String(v.nan)], ['inf', String(v.inf)]);
  }
  if (v.constant) {
    rows.push(['constant', 'computed from constants alone: not a first NaN/inf']);
  }
  return rows;
}

/** The value block of the inspector for node `id` (null when it has none). */
export function valuesInspector(
  values: ViewValuesJSON | undefined,
  id: string
): HTMLElement | null {
  const v = values?.nodes[id];
  if (!values || !v) {
    return null;
  }
  const box = el('div', 'tg-values-box');
  box.append(text('h5', 'tg-values-title', `Value on ${values.inputs}`));
  const dl = el('dl', 'tg-values');
  for (const [k, value] of valueRows(v)) {
    dl.append(text('dt', '', k), text('dd', '', value));
  }
  box.append(dl);
  return box;
}

export interface IValuesBarOptions {
  /** The toggle was switched on (ask the kernel once) or off. */
  onToggle: (on: boolean) => void;
  /** Select and outline the first non-finite node. */
  onFirst: (node: string) => void;
}

/** The values toggle and the first-non-finite button above one graph view. */
export class ValuesBar {
  readonly node: HTMLDivElement;
  private _toggle: HTMLButtonElement;
  private _first: HTMLButtonElement;
  private _status: HTMLSpanElement;
  private _on = false;
  private _wantFirst = false;
  private _values: ViewValuesJSON | undefined;

  constructor(private _options: IValuesBarOptions) {
    this.node = el('div', 'tg-values-bar');
    this._toggle = button(
      'Values',
      'tg-values-toggle',
      'Show each node’s value in the inspector',
      () => this.setOn(!this._on, true)
    );
    this._toggle.setAttribute('aria-pressed', 'false');
    this._first = button(
      'First NaN/inf',
      'tg-nonfinite',
      'Select the earliest node whose value has a NaN or an inf',
      () => this._pressFirst()
    );
    this._status = el('span', 'tg-values-status');
    this._status.setAttribute('aria-live', 'polite');
    this.node.append(this._toggle, this._first, this._status);
    this._render();
  }

  get on(): boolean {
    return this._on;
  }

  setOn(on: boolean, byUser = false): void {
    this._on = on;
    this._toggle.setAttribute('aria-pressed', String(on));
    if (byUser) {
      this._options.onToggle(on);
    }
    this._render();
  }

  setValues(values: ViewValuesJSON | undefined): void {
    this._values = values;
    if (values && this._wantFirst) {
      this._wantFirst = false; // pressed before the values arrived
      this._pressFirst();
      return;
    }
    this._render();
  }

  private _pressFirst(): void {
    if (!this._on) {
      this.setOn(true, true);
    }
    const values = this._values;
    if (!values) {
      this._wantFirst = true;
    } else if (values.first_nonfinite) {
      this._options.onFirst(values.first_nonfinite.node);
    }
    this._render();
  }

  private _render(): void {
    const v = this._values;
    this._first.disabled = !!v && (!!v.error || !v.first_nonfinite);
    if (!this._on) {
      this._status.textContent = '';
      return;
    }
    if (!v) {
      this._status.textContent = 'computing values…';
    } else if (v.error) {
      this._status.textContent = v.error;
    } else {
      const first = v.first_nonfinite;
      const parts = [`values on ${v.inputs}`];
      parts.push(first ? first.reading : 'every value is finite');
      this._status.textContent = parts.concat(v.notes).join('; ');
    }
  }
}

/**
 * Values on one GraphView: its bar above the picture, the value rows of its
 * inspector, and the first-non-finite selection. The widget keeps one per
 * view; the panel's document one for its main view, pointed at whichever
 * view it shows. The owner asks the kernel (`ask`, at most once per view is
 * its business) and hands over what arrives (`setValues`).
 */
export class GraphValues {
  readonly bar: ValuesBar;

  constructor(
    private readonly _ask: (view: string) => void,
    view: string | null = null
  ) {
    this._view = view;
    this.bar = new ValuesBar({
      onToggle: on => {
        if (on) {
          this._askShown();
        }
        this._graph?.refreshInspector();
      },
      onFirst: node => {
        const graph = this._graph;
        if (!graph) {
          return;
        }
        graph.clearHighlight('tg-nonfinite-node');
        graph.select(node);
        graph.highlight([node], 'tg-nonfinite-node');
        graph.reveal(node);
      }
    });
  }

  /** For the GraphView's `inspectorExtra`: the value rows of node `id`, while on. */
  inspector(id: string): HTMLElement | null {
    return this.bar.on && this._view !== null
      ? valuesInspector(this._values[this._view], id)
      : null;
  }

  /** Put the bar above ``graph``'s picture. */
  attach(graph: GraphView): void {
    this._graph = graph;
    graph.addBar(this.bar.node);
  }

  /** The view the graph shows now; null (the stepper...): no values, no bar. */
  show(view: string | null): void {
    this._view = view;
    this.bar.node.hidden = view === null;
    if (this.bar.on) {
      this._askShown();
    }
    this._update();
  }

  /** Every view's values the kernel has sent so far. */
  setValues(values: Record<string, ViewValuesJSON>): void {
    this._values = values;
    this._update();
  }

  private _update(): void {
    this.bar.setValues(this._view === null ? undefined : this._values[this._view]);
    this._graph?.refreshInspector();
  }

  private _askShown(): void {
    if (this._view !== null && !(this._view in this._values)) {
      this._ask(this._view);
    }
  }

  private _view: string | null;
  private _values: Record<string, ViewValuesJSON> = {};
  private _graph: GraphView | null = null;
}

/** One output's comparison, in words. */
export function differenceLine(d: DifferenceJSON): string {
  return d.reading;
}

/**
 * "What the rewrites did to the numbers", for the Rewrites tab: a button
 * until asked, then one reading per output.
 */
export function numbersView(
  values: ViewValuesJSON | undefined,
  asked: boolean,
  ask: () => void
): HTMLElement {
  const box = el('section', 'tg-numbers');
  box.append(text('h4', 'tg-section-title', 'What the rewrites did to the numbers'));
  if (!values) {
    if (asked) {
      box.append(text('p', 'tg-values-status', 'computing values…'));
    } else {
      box.append(
        button(
          'Compare the numbers',
          'tg-numbers-run',
          'Run the graph as written and the optimized graph on the same inputs',
          ask
        )
      );
    }
    return box;
  }
  if (values.error) {
    box.append(text('p', 'tg-values-status', values.error));
    return box;
  }
  box.append(text('p', 'tg-values-status', `on ${values.inputs}`));
  const list = el('ul', 'tg-differences');
  for (const d of values.differences) {
    const li = text('li', 'tg-difference', differenceLine(d));
    li.dataset.output = d.output;
    li.classList.toggle('tg-changed', d.rewrites.length > 0);
    list.append(li);
  }
  box.append(list);
  return box;
}

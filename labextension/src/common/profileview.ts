/**
 * Where the time goes: the "Where the time goes" button, the top nodes of
 * one profiled call, and the heat colouring of the profiled view. The
 * kernel keys the profile by node ids of `ProfileJSON.view`, so nothing
 * here knows which framework measured it.
 */
import { button, el, formatSeconds, text } from './dom';
import { GraphView } from './graphview';
import { ProfileJSON } from './messages';

/** Pale yellow (a small share) to red (the largest), for `t` in 0..1. */
export function heatColour(t: number): string {
  const c = Math.min(1, Math.max(0, t));
  return `hsl(${Math.round(50 - 50 * c)}, 95%, ${Math.round(88 - 30 * c)}%)`;
}

/** Colour the nodes of ``view`` by their share of a call; no profile clears it. */
export function applyHeat(view: GraphView, profile: ProfileJSON | null): void {
  for (const g of Array.from(view.element.querySelectorAll<SVGGElement>('g.tg-heat'))) {
    g.classList.remove('tg-heat');
    g.removeAttribute('style');
    g.removeAttribute('data-heat');
  }
  const colours = profile?.colours ?? {};
  const largest = Math.max(0, ...Object.values(colours));
  const shares = new Map<SVGGElement, number>();
  for (const [id, share] of Object.entries(colours)) {
    const g = view.elementFor(id); // a collapsed subgraph stands for its nodes
    if (g) {
      shares.set(g, Math.max(shares.get(g) ?? 0, share));
    }
  }
  for (const [g, share] of shares) {
    g.classList.add('tg-heat');
    g.setAttribute('style', `--tg-heat: ${heatColour(largest ? share / largest : 0)}`);
    g.setAttribute('data-heat', (share * 100).toFixed(1));
  }
}

export interface IProfileViewOptions {
  onRun(): void;
  /** Show these nodes of ``view`` (a row of the table was clicked). */
  onShow(view: string, ids: string[]): void;
}

export class ProfileView {
  readonly node: HTMLDivElement;

  constructor(private readonly _options: IProfileViewOptions) {
    this.node = el('div', 'tg-profile');
    this._run = button(
      'Where the time goes',
      'tg-profile-run',
      'Profile one call and colour the graph by where the time went',
      () => this._options.onRun()
    );
    this._note = el('div', 'tg-profile-note');
    this._table = el('table', 'tg-profile-table');
    const head = this._table.createTHead().insertRow();
    for (const name of ['node', 'time', 'share']) {
      head.append(text('th', '', name));
    }
    this._body = this._table.createTBody();
    this.node.append(this._run, this._note, this._table);
    this.setProfile(null, null);
  }

  setBusy(busy: boolean): void {
    this._run.disabled = busy;
  }

  /** ``timed`` is the backend of the last timing row, to say when they differ. */
  setProfile(profile: ProfileJSON | null, timed: string | null): void {
    this._table.hidden = !profile;
    this._body.replaceChildren();
    if (!profile) {
      this._note.textContent = '';
      return;
    }
    const other = profile.timed_backend ?? timed;
    const from =
      other && other !== profile.backend
        ? `per-node times from ${profile.backend}, not ${other} as timed`
        : `per-node times from ${profile.backend}`;
    this._note.textContent = [
      `${from} on ${profile.device}: ${formatSeconds(profile.total_s)} per call, ` +
        `${profile.calls} calls`,
      ...profile.notes
    ].join('; ');
    for (const entry of profile.top) {
      const tr = this._body.insertRow();
      tr.dataset.key = entry.key;
      tr.title = `${entry.label}: click to show it in the graph`;
      tr.append(
        text('td', '', entry.count > 1 ? `${entry.label} ×${entry.count}` : entry.label),
        text('td', '', formatSeconds(entry.seconds)),
        text('td', '', `${(entry.fraction * 100).toFixed(1)} %`)
      );
      tr.addEventListener('click', () => this._options.onShow(profile.view, [entry.key]));
    }
  }

  private readonly _run: HTMLButtonElement;
  private readonly _note: HTMLDivElement;
  private readonly _table: HTMLTableElement;
  private readonly _body: HTMLTableSectionElement;
}

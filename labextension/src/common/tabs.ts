/**
 * The tab strip shared by the inline widget and the panel's full-size
 * document: one button per tab (`.tg-tab[data-view]`, aria-selected), a
 * pending mark for views the kernel has not built yet. What a tab shows is
 * the owner's business; the strip only says which one was chosen.
 */
import { button, el } from './dom';

export interface ITab {
  /** `data-view` of the button: a view name, or a mode such as `rewrites`. */
  name: string;
  title: string;
  /** The kernel is still building this view. */
  pending?: boolean;
}

export class TabStrip {
  readonly node: HTMLDivElement;

  constructor(private readonly _onSelect: (name: string) => void) {
    this.node = el('div', 'tg-tabs');
    this.node.setAttribute('role', 'tablist');
  }

  get active(): string {
    return this._active;
  }

  get names(): string[] {
    return this._tabs.map(t => t.name);
  }

  /** Replace the tabs; keeps the active one if it is still there, else the first. */
  setTabs(tabs: ITab[]): string {
    this._tabs = tabs;
    this.node.replaceChildren(
      ...tabs.map(tab => {
        const b = button(tab.title, 'tg-tab', `Show ${tab.title}`, () => this.select(tab.name));
        b.dataset.view = tab.name;
        b.setAttribute('role', 'tab');
        b.classList.toggle('tg-tab-pending', Boolean(tab.pending));
        return b;
      })
    );
    const keep = this.names.includes(this._active) ? this._active : (tabs[0]?.name ?? '');
    this._mark(keep);
    return keep;
  }

  /** Mark ``name`` selected and tell the owner (also when it already was). */
  select(name: string): void {
    this._mark(name);
    this._onSelect(name);
  }

  private _mark(name: string): void {
    this._active = name;
    for (const tab of Array.from(this.node.querySelectorAll<HTMLElement>('.tg-tab'))) {
      tab.setAttribute('aria-selected', String(tab.dataset.view === name));
    }
  }

  private _tabs: ITab[] = [];
  private _active = '';
}

/** The toolbar of a graph view: search with its matches, zoom, fit, save. */
import { button, el } from './dom';

export interface IToolbarActions {
  prev: () => void;
  next: () => void;
  zoomBy: (factor: number) => void;
  fit: () => void;
  save: () => void;
}

/** The bar, with its search box and the status that counts the matches. */
export function toolbar(
  hint: HTMLElement,
  act: IToolbarActions
): { bar: HTMLDivElement; search: HTMLInputElement; status: HTMLSpanElement } {
  const search = el('input', 'tg-search');
  search.type = 'search';
  search.placeholder = 'Search op, name, dtype (e.g. op:add)';
  search.setAttribute('aria-label', 'Search nodes');
  const status = el('span', 'tg-search-status');
  status.setAttribute('aria-live', 'polite');
  const bar = el('div', 'tg-toolbar');
  bar.append(
    search,
    button('◀', 'tg-prev', 'Previous match', act.prev),
    button('▶', 'tg-next', 'Next match', act.next),
    status,
    el('span', 'tg-spacer'),
    hint,
    button('−', 'tg-zoom-out', 'Zoom out', () => act.zoomBy(1 / 1.25)),
    button('+', 'tg-zoom-in', 'Zoom in', () => act.zoomBy(1.25)),
    button('Fit', 'tg-fit', 'Fit the whole graph (or the group in focus)', act.fit),
    button('SVG', 'tg-save', 'Download the picture as SVG', act.save)
  );
  return { bar, search, status };
}

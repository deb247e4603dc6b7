import { groupRewrites, rewritesView } from '../../labextension/src/rewritesview';
import { NASTY, bundle, offers } from './fixtures';

describe('groupRewrites', () => {
  it('groups two interleaved runs by the view they rewrote, in step order', () => {
    const { groups, hidden } = groupRewrites(bundle().rewrites, offers().views, false);
    expect(groups.map(g => [g.view, g.title, g.rewrites.map(r => r.name)])).toEqual([
      ['optimized', 'Optimized', ['local_log1p', 'local_exp_over_1_plus_exp']],
      ['gradient', 'Gradient', ['local_mul_canonizer', 'fusion']]
    ]);
    expect(hidden).toBe(2);
  });

  it('lists bookkeeping rewrites when the graph offers them', () => {
    const { groups, hidden } = groupRewrites(bundle().rewrites, offers().views, true);
    expect(groups[0].rewrites.map(r => r.step)).toEqual([6, 7, 9]);
    expect(groups[1].rewrites.map(r => r.step)).toEqual([3, 4, 5]);
    expect(hidden).toBe(0);
  });

  it('puts views the offers do not name after the offered ones', () => {
    const rewrites = bundle().rewrites.map(r => ({
      ...r,
      view: r.view === 'gradient' ? 'hessian' : r.view
    }));
    const { groups } = groupRewrites(rewrites, offers().views, false);
    expect(groups.map(g => [g.view, g.title])).toEqual([
      ['optimized', 'Optimized'],
      ['hessian', 'hessian']
    ]);
  });
});

describe('rewritesView', () => {
  const options = (shown: [string, string[]][] = []) => ({
    onShow: (view: string, ids: string[]) => shown.push([view, ids]),
    isDrawn: () => true
  });

  it('numbers each group from one, with the pass of each rewrite', () => {
    const box = rewritesView(
      groupRewrites(bundle().rewrites, offers().views, false),
      [],
      options()
    );
    const lists = Array.from(box.querySelectorAll<HTMLOListElement>('ol.tg-rewrites'));
    expect(lists.map(l => l.dataset.view)).toEqual(['optimized', 'gradient']);
    const numbered = lists.map(l =>
      Array.from(l.querySelectorAll('li')).map(li => [
        li.value,
        li.querySelector('.tg-rewrite-name')!.textContent,
        li.querySelector('.tg-rewrite-pass')!.textContent
      ])
    );
    expect(numbered).toEqual([
      [
        [1, 'local_log1p', 'stabilize'],
        [2, 'local_exp_over_1_plus_exp', 'specialize']
      ],
      [
        [1, 'local_mul_canonizer', 'canonicalize'],
        [2, 'fusion', 'fusion']
      ]
    ]);
    expect(Array.from(box.querySelectorAll('h4')).map(h => h.textContent)).toEqual([
      'Optimized (2)',
      'Gradient (2)'
    ]);
    expect(box.querySelector('.tg-noise-count')!.textContent).toBe(
      '2 bookkeeping rewrites (merge, constant folding) not listed'
    );
    // a hostile replaced expression stays text
    expect(box.querySelector('img')).toBeNull();
    expect(box.textContent).toContain(NASTY);
  });

  it('leaves out an empty pass and shows created nodes in their own view', () => {
    const shown: [string, string[]][] = [];
    const box = rewritesView(
      groupRewrites(bundle().rewrites, offers().views, true),
      [],
      options(shown)
    );
    const merge = Array.from(box.querySelectorAll('li')).find(
      li => li.querySelector('.tg-rewrite-name')!.textContent === 'MergeOptimizer'
    )!;
    expect(merge.querySelector('.tg-rewrite-pass')).toBeNull();
    expect(merge.classList).toContain('tg-noise');
    expect(box.querySelector('.tg-noise-count')).toBeNull();
    const buttons = box.querySelectorAll<HTMLButtonElement>('.tg-show-created');
    expect(buttons).toHaveLength(2);
    buttons[1].click();
    expect(shown).toEqual([['gradient', ['add']]]);
  });

  it('says which views will bring their rewrites, and when there are none', () => {
    const waiting = rewritesView(groupRewrites([], offers().views, false), ['Gradient'], options());
    expect(waiting.textContent).toBe('The rewrites of Gradient come when it is built.');
    const none = rewritesView(groupRewrites([], offers().views, false), [], options());
    expect(none.textContent).toBe('No rewrites were recorded.');
  });
});

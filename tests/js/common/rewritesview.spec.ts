import {
  explainRewrite,
  filterByPass,
  groupRewrites,
  passesOf,
  passList,
  rewritesView
} from '../../../labextension/src/common/rewritesview';
import { NASTY, bundle, offers } from '../fixtures';

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

describe('each rewrite explained', () => {
  const explained = {
    step: 9,
    name: 'local_exp_over_1_plus_exp',
    replaced: 'true_div(1, add(1, exp(neg(x))))',
    replacement: 'sigmoid(x)',
    noise: false,
    created: [],
    view: 'optimized',
    pass_name: 'stabilize',
    doc: 'exp(x)/(1+exp(x)) -> sigm(x)',
    passes: ['stabilize'],
    module: 'pytensor.tensor.rewriting.math',
    line: 3452
  };
  const source = '@register_stabilize\ndef local_exp_over_1_plus_exp(fgraph, node):\n';

  it('shows the first docstring line, the passes and where it is defined', () => {
    const about = explainRewrite(explained);
    expect(about.querySelector('.tg-rewrite-doc')!.textContent).toBe(
      'exp(x)/(1+exp(x)) -> sigm(x)'
    );
    expect(about.querySelector('.tg-rewrite-passes')!.textContent).toBe(
      'registered under stabilize'
    );
    expect(about.querySelector('.tg-rewrite-where')!.textContent).toBe(
      'pytensor.tensor.rewriting.math, line 3452'
    );
    // no way to fetch the source: no button
    expect(about.querySelector('.tg-rewrite-source-toggle')).toBeNull();
  });

  it('fetches the source once, on request, and toggles it', async () => {
    const asked: string[] = [];
    const about = explainRewrite(explained, name => {
      asked.push(name);
      return Promise.resolve({
        type: 'source',
        name,
        module: explained.module,
        line: explained.line,
        source
      });
    });
    const shown = about.querySelector<HTMLPreElement>('.tg-rewrite-source')!;
    expect(shown.hidden).toBe(true);
    const toggle = about.querySelector<HTMLButtonElement>('.tg-rewrite-source-toggle')!;
    toggle.click();
    await Promise.resolve();
    expect(shown.textContent).toBe(source);
    expect(shown.hidden).toBe(false);
    toggle.click();
    expect(shown.hidden).toBe(true);
    toggle.click();
    expect([shown.hidden, asked]).toEqual([false, ['local_exp_over_1_plus_exp']]);
  });

  it("says why the kernel could not read a rewrite's source", async () => {
    const about = explainRewrite(explained, name =>
      Promise.resolve({ type: 'source', name, module: '', line: 0, source: '', error: 'gone' })
    );
    about.querySelector<HTMLButtonElement>('.tg-rewrite-source-toggle')!.click();
    await Promise.resolve();
    expect(about.querySelector('.tg-rewrite-source')!.textContent).toBe('gone');
  });

  it('reads nothing where the framework said nothing', () => {
    const about = explainRewrite({ ...bundle().rewrites[0], doc: '', passes: [], module: '' });
    expect(about.textContent).toBe('');
  });
});

describe('the pass filter', () => {
  const grouped = () => groupRewrites(bundle().rewrites, offers().views, false);
  const names = (box: HTMLElement) =>
    Array.from(box.querySelectorAll('.tg-rewrite-name')).map(n => n.textContent);

  it('lists the passes in the order they ran', () => {
    expect(passList(grouped())).toEqual(['stabilize', 'specialize', 'canonicalize', 'fusion']);
  });

  it("keeps one pass's rewrites and drops the groups left empty", () => {
    const only = filterByPass(grouped(), 'canonicalize');
    expect(only.groups.map(g => [g.view, g.rewrites.map(r => r.name)])).toEqual([
      ['gradient', ['local_mul_canonizer']]
    ]);
    expect(filterByPass(grouped(), '')).toEqual(grouped());
  });

  it('a rewrite without the pass it ran in counts under every pass it is registered under', () => {
    const r = { ...bundle().rewrites[0], pass_name: '', passes: ['specialize', 'stabilize'] };
    expect(passesOf(r)).toEqual(['specialize', 'stabilize']);
  });

  it('filters the list from its select, and shows all again', () => {
    const box = rewritesView(grouped(), [], { onShow: () => undefined, isDrawn: () => true });
    const pick = box.querySelector<HTMLSelectElement>('select.tg-rewrite-filter')!;
    expect(Array.from(pick.options).map(o => o.textContent)).toEqual([
      'all passes',
      'stabilize',
      'specialize',
      'canonicalize',
      'fusion'
    ]);
    pick.value = 'stabilize';
    pick.dispatchEvent(new Event('change'));
    expect(names(box)).toEqual(['local_log1p']);
    expect(Array.from(box.querySelectorAll('h4')).map(h => h.textContent)).toEqual([
      'Optimized (1)'
    ]);
    pick.value = '';
    pick.dispatchEvent(new Event('change'));
    expect(names(box)).toEqual([
      'local_log1p',
      'local_exp_over_1_plus_exp',
      'local_mul_canonizer',
      'fusion'
    ]);
  });
});

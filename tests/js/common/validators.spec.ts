/**
 * The browser's runtime checks, generated from messages.ts and graph.ts:
 * what the kernel sends passes, a missing or mistyped field does not.
 */
import * as fs from 'fs';

import { GraphReply, PanelReply } from '../../../labextension/src/common/messages';
import {
  isGraphBundleJSON,
  isPackedReply,
  isPanelReply,
  isSourceReply,
  isTimingRowJSON,
  isTraitExpanded,
  isTraitOffers,
  isTraitSvg
} from '../../../labextension/src/common/validators.generated';
import { bundle, offers, timingRow } from '../fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const wire = require('../../../labextension/scripts/wire.cjs');

function graphReply(): GraphReply {
  return {
    type: 'graph',
    id: 'g1',
    bundle: { ...bundle() },
    offers: offers(),
    layouts: { original: { svg: '<svg/>', meta: { engine: 'dot' } } },
    pending: { gradient: { task: 'differentiating', started: null } },
    steps: { optimized: 3 }
  };
}

/** ``reply`` without ``field``. */
function without<T extends object>(reply: T, field: keyof T): unknown {
  const copy: Partial<T> = { ...reply };
  delete copy[field];
  return copy;
}

describe('generated validators', () => {
  it('take a reply as the kernel sends it, with fields a newer kernel may add', () => {
    expect(isPanelReply(graphReply())).toBe(true);
    expect(isPanelReply({ ...graphReply(), extra: 1 })).toBe(true);
    expect(isPanelReply({ type: 'entries', entries: [], dropped: 0 })).toBe(true);
  });

  it('reject a reply with a missing field', () => {
    expect(isPanelReply(without(graphReply(), 'offers'))).toBe(false);
    expect(isPanelReply(without(graphReply(), 'steps'))).toBe(false);
    expect(isPanelReply({ type: 'entries', entries: [] })).toBe(false); // no `dropped`
    expect(isPanelReply({ ...graphReply(), offers: without(offers(), 'timing') })).toBe(false);
  });

  it('reject a reply with a mistyped field', () => {
    expect(isPanelReply({ ...graphReply(), id: 7 })).toBe(false);
    expect(isPanelReply({ ...graphReply(), steps: { optimized: 'three' } })).toBe(false);
    expect(
      isPanelReply({ ...graphReply(), pending: { gradient: { task: 'x', started: 'soon' } } })
    ).toBe(false);
    expect(isPanelReply({ ...graphReply(), type: 'graphs' })).toBe(false);
  });

  it('check nested records to the leaves', () => {
    const entry = {
      id: 'g1',
      name: 'f',
      framework: 'pytensor',
      cell: 3,
      nodes: { original: 4 },
      pending: [],
      timing: timingRow()
    };
    const entries = (e: unknown): PanelReply =>
      ({ type: 'entries', entries: [e], dropped: 0 }) as unknown as PanelReply;
    expect(isPanelReply(entries(entry))).toBe(true);
    expect(isPanelReply(entries({ ...entry, cell: '3' }))).toBe(false);
    expect(isPanelReply(entries({ ...entry, timing: { ...timingRow(), median_s: '1 ms' } }))).toBe(
      false
    );
    expect(isTimingRowJSON(timingRow())).toBe(true);
    expect(isTimingRowJSON(without(timingRow(), 'samples'))).toBe(false);
  });

  it('check a rewrite source reply and a packed reply', () => {
    const source = { type: 'source', name: 'r', module: 'm', line: 3, source: 'def r(): ...' };
    expect(isSourceReply(source)).toBe(true);
    expect(isSourceReply({ ...source, line: '3' })).toBe(false);
    expect(isSourceReply(without(source, 'module'))).toBe(false);
    expect(isPackedReply({ type: 'packed', reply: 'H4sI' })).toBe(true);
    expect(isPackedReply({ type: 'packed', reply: null })).toBe(false);
  });

  it('take a bundle of any framework and refuse what is not one', () => {
    expect(isGraphBundleJSON({ ...bundle(), framework: 'tinyexpr' })).toBe(true);
    expect(isGraphBundleJSON({ ...bundle(), views: { original: { nodes: 'x' } } })).toBe(false);
    expect(isGraphBundleJSON({ ...bundle(), rewrites: undefined })).toBe(false);
    expect(isGraphBundleJSON(null)).toBe(false);
    const nodes = bundle().views.original.nodes;
    const badKind = { ...nodes[0], kind: 'box' };
    const graph = { ...bundle().views.original, nodes: [badKind] };
    expect(isGraphBundleJSON({ ...bundle(), views: { original: graph } })).toBe(false);
  });

  it('check each widget trait on its own', () => {
    expect(isTraitSvg({ original: '<svg/>' })).toBe(true);
    expect(isTraitSvg({ original: 3 })).toBe(false);
    expect(isTraitExpanded({ original: ['a'] })).toBe(true);
    expect(isTraitExpanded({ original: 'a' })).toBe(false);
    expect(isTraitOffers(offers())).toBe(true);
    expect(isTraitOffers(without(offers(), 'views'))).toBe(false);
  });
});

describe('docs/graph-format.md', () => {
  it('lists the fields graph.ts declares (npm run docs:wire rewrites it)', () => {
    const doc = fs.readFileSync(wire.DOC, 'utf8');
    expect(doc).toContain('<!-- fields: NodeJSON -->');
    expect(wire.docWithTables(wire.makeSchema(), doc)).toBe(doc);
  });
});

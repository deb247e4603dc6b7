/**
 * The rewrite stepper of a full-size view: a slider from the graph as the
 * rewriter got it to the rewritten graph, one rewrite at a time, with what
 * each rewrite did and why (its source on request).
 */
import { button, el } from './dom';
import { GraphView } from './graphview';
import { explainRewrite } from './rewritesview';
import { GraphSession, IStep, stepsOf } from './session';

export class Stepper {
  constructor(
    private readonly _session: GraphSession,
    private readonly _view: GraphView,
    private readonly _bar: HTMLElement
  ) {}

  /**
   * Fetch the snapshots of the view that has them, then show the stepper in
   * the bar unless ``stillWanted`` says the user has gone on (or it is shown).
   */
  async show(stillWanted: () => boolean): Promise<void> {
    const view = this._session.stepView() ?? 'optimized';
    await this._session.loadSteps(view);
    if (!stillWanted()) {
      return;
    }
    const steps = stepsOf(this._session.state.bundle, view);
    const slider = el('input', 'tg-step-slider');
    slider.type = 'range';
    slider.min = '0';
    slider.max = String(steps.length);
    slider.value = '0';
    slider.setAttribute('aria-label', 'Rewrite step');
    const label = el('span', 'tg-step-label');
    label.setAttribute('aria-live', 'polite');
    const about = el('div', 'tg-step-about');
    const go = (k: number) => {
      slider.value = String(Math.max(0, Math.min(steps.length, k)));
      const at = Number(slider.value);
      void this._step(view, steps, at, label);
      const step = steps[at - 1];
      about.replaceChildren(
        ...(step ? [explainRewrite(step, name => this._session.source(name))] : [])
      );
    };
    slider.addEventListener('input', () => go(Number(slider.value)));
    this._bar.append(
      button('◀', 'tg-step-prev', 'Previous rewrite', () => go(Number(slider.value) - 1)),
      slider,
      button('▶', 'tg-step-next', 'Next rewrite', () => go(Number(slider.value) + 1)),
      label,
      about
    );
    go(0);
  }

  /** Draw step ``k`` (0: before any rewrite), its new nodes and those the next one removes. */
  private async _step(view: string, steps: IStep[], k: number, label: HTMLElement): Promise<void> {
    const picture = await this._session.stepPicture(view, k);
    const start = this._session.state.bundle.rewrite_start?.[view];
    const graph = k === 0 ? start : steps[k - 1].graph;
    if (!graph || !picture) {
      return;
    }
    this._view.setGraph(graph, picture.svg ?? '', {
      ...(picture.meta ?? {}),
      error: picture.error
    });
    if (k === 0) {
      label.textContent = `Step 0 of ${steps.length}: the graph before any rewrite`;
      return;
    }
    const step = steps[k - 1];
    label.textContent =
      `Step ${k} of ${steps.length}: ${step.name} replaced ${step.replaced} ` +
      `with ${step.replacement}`;
    this._view.highlight(step.created, 'tg-step-created');
    const next = steps[k];
    if (next) {
      this._view.highlight(next.removed ?? [], 'tg-step-removed');
    }
  }
}

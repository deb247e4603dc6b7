import { PendingView, pendingText } from '../../../labextension/src/common/pendingview';

describe('pendingText', () => {
  it('says the task and the seconds since the kernel started it', () => {
    expect(pendingText({ task: 'rewriting', started: 100 }, 103.21)).toBe('rewriting… 3.2 s');
    expect(pendingText({ task: 'rewriting', started: 100 }, 100)).toBe('rewriting… 0.0 s');
  });

  it('reads zero when the kernel clock is ahead of ours', () => {
    expect(pendingText({ task: 'taking the gradient', started: 105 }, 100)).toBe(
      'taking the gradient… 0.0 s'
    );
  });

  it('waits for the cells queued before it when not started', () => {
    expect(pendingText({ task: 'rewriting', started: null }, 100)).toBe(
      'rewriting: waiting for the kernel (cells run first)'
    );
  });
});

describe('PendingView', () => {
  it('updates its text as time passes and when the kernel starts', () => {
    const view = new PendingView({ task: 'rewriting', started: null });
    const shown = () => view.element.querySelector('.tg-pending-text')!.textContent;
    expect(shown()).toBe('rewriting: waiting for the kernel (cells run first)');
    view.setPending({ task: 'rewriting', started: 50 });
    view.update(51.5);
    expect(shown()).toBe('rewriting… 1.5 s');
    view.update(62);
    expect(shown()).toBe('rewriting… 12.0 s');
  });
});

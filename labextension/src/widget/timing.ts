/**
 * The inline widget's timing section: the timing table and "where the time
 * goes", bound to the graph session (runs, the automatic timing, stop).
 */
import { text } from '../common/dom';
import { GraphView } from '../common/graphview';
import { applyHeat, ProfileView } from '../common/profileview';
import { GraphSession, StateKey } from '../common/session';
import { TimingView } from '../common/timingview';

export class TimingSection {
  readonly node: HTMLElement;

  constructor(
    private readonly _session: GraphSession,
    onShow: (view: string, ids: string[]) => void
  ) {
    this.node = document.createElement('section');
    this.node.className = 'tg-timing-section';
    this.node.append(text('h4', 'tg-section-title', 'Timing'));
    const session = _session;
    this._timingView = new TimingView(this.node, {
      onRun: choice => {
        session.askDevices();
        session.time(choice);
        this._timingView.setBusy(true); // until the kernel answers with its own busy flag
        this.automatic();
      },
      onStop: () => {
        if (session.automaticWaiting) {
          session.decline();
          this.automatic();
        } else {
          session.stop();
        }
      }
    });
    this._profileView = new ProfileView({
      onRun: () => {
        session.askDevices();
        session.profile(this._timingView.choice());
        this._timingView.setBusy(true);
        this._profileView.setBusy(true);
      },
      onShow
    });
    this._timingView.node.append(this._profileView.node);
  }

  /** Draw everything once (the first render). */
  showAll(): void {
    this._showDevices();
    this._showTimings();
    this._showProfile();
    this.automatic();
  }

  /** Redraw what changed; the profile colours ``views``. */
  update(keys: Set<StateKey>): void {
    if (keys.has('pending')) {
      this.automatic();
    }
    if (keys.has('offers') || keys.has('devices')) {
      this._showDevices();
    }
    if (keys.has('timings') || keys.has('timingError') || keys.has('busy')) {
      this._showTimings();
    }
    if (keys.has('profile')) {
      this._showProfile();
    }
  }

  /** Time by itself once every pending view has arrived, unless declined. */
  automatic(): void {
    const session = this._session;
    const due = session.automaticDue;
    this._timingView.setAutomatic(due);
    if (due && Object.keys(session.state.pending).length === 0) {
      session.automatic(this._timingView.choice());
      this._timingView.setAutomatic(false);
      this._timingView.setBusy(true);
    }
  }

  /** Colour the profiled view's nodes by their share of a call. */
  heat(views: Map<string, GraphView>): void {
    const profile = this._session.state.profile;
    for (const [view, v] of views) {
      applyHeat(v, profile?.view === view ? profile : null);
    }
  }

  dispose(): void {
    this._timingView.dispose();
  }

  private _showDevices(): void {
    const { offers, devices } = this._session.state;
    this.node.hidden = !offers.timing;
    this._timingView.setBackendLabel(offers.backend_label);
    this._timingView.setDevices(
      devices,
      this._session.devicesAsked ? 'looking for devices…' : 'devices are found on the first run'
    );
  }

  private _showTimings(): void {
    const { timings, timingError, busy } = this._session.state;
    this._timingView.setRows(timings);
    this._timingView.setMessage(timingError);
    this._timingView.setBusy(busy);
    this._profileView.setBusy(busy);
    this._showProfile();
  }

  private _showProfile(): void {
    const { timings, profile } = this._session.state;
    this._profileView.setProfile(profile, timings[timings.length - 1]?.backend ?? null);
  }

  private _timingView: TimingView;
  private _profileView: ProfileView;
}

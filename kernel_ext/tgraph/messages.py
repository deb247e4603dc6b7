"""Every message and widget trait that crosses between kernel and browser.

Declared once here and once in ``labextension/src/messages.ts``; a test
(``tests/python/test_messages.py``) checks every message the Python tests
produce against the JSON schema generated from the TypeScript declarations,
so the two cannot drift apart. The graph model itself (``bundle``) is
documented in ``docs/graph-format.md`` and typed in ``graphmodel.ts``.
"""

from typing import Any, Literal, NotRequired, TypedDict

# -- shared pieces -------------------------------------------------------------


class ViewOfferJSON(TypedDict):
    name: str
    title: str


class TextOfferJSON(TypedDict):
    key: str
    title: str


class OffersJSON(TypedDict):
    """What one graph offers: the browser draws tabs and controls from this."""

    views: list[ViewOfferJSON]
    rewrites: bool
    stepper: bool
    texts: list[TextOfferJSON]
    timing: bool
    backend_label: str
    show_noise: bool


class PendingJSON(TypedDict):
    """A view not built yet. ``started`` is the kernel's clock (epoch seconds)
    when it began building, ``None`` while it waits for the kernel."""

    task: str
    started: float | None


class LayoutMetaJSON(TypedDict, total=False):
    engine: str
    seconds: float
    visible: int
    collapsed: list[str]
    groups: list[dict[str, Any]]
    expanded: list[str]
    error: str


class PictureJSON(TypedDict, total=False):
    """One laid-out view: SVG and its meta, or why it could not be laid out."""

    svg: str
    meta: LayoutMetaJSON
    error: str


class DeviceJSON(TypedDict):
    name: str
    kind: str
    description: str


class BackendJSON(TypedDict):
    name: str
    available: bool
    reason: str
    gpu: bool


class GpuJSON(TypedDict):
    available: bool
    reason: str


class DevicesJSON(TypedDict):
    """``Devices.to_json()``; ``backends`` is empty for a framework with one."""

    devices: list[DeviceJSON]
    gpu: GpuJSON
    backends: list[BackendJSON]
    #: The device toggle chosen until the user picks one ("cpu", "gpu", "gpu:1").
    default: str


class TimingRowJSON(TypedDict):
    """``TimingResult.row()``; every time in seconds, ``samples`` per call."""

    target: str
    framework: str
    device: str
    backend: str
    compile_s: float | None
    compile_cached: bool | None
    first_call_s: float | None
    samples: list[float]
    number: int
    calls: int
    transfer_s: float | None
    signature: str
    input_devices: list[str]
    output_devices: list[str]
    on_device: bool | None
    budget_s: float
    elapsed_s: float
    interrupted: bool
    budget_exhausted: bool
    error: str | None
    notes: list[str]
    median_s: float | None
    iqr_s: float | None
    min_s: float | None


class ProfileEntryJSON(TypedDict):
    key: str
    label: str
    seconds: float
    fraction: float
    count: int


class ProfileJSON(TypedDict):
    """``ProfileResult.to_json()``: seconds per call; ``colours`` maps node ids
    of ``view`` to their fraction of the call (0..1)."""

    target: str
    framework: str
    backend: str
    timed_backend: str | None
    device: str
    view: str
    calls: int
    total_s: float
    top: list[ProfileEntryJSON]
    colours: dict[str, float]
    notes: list[str]


# -- values on the graph -----------------------------------------------------------


class ValueJSON(TypedDict):
    """One node's value, summarised: min/max/mean over its finite elements."""

    shape: list[int]
    dtype: str
    min: float | None
    max: float | None
    mean: float | None
    nan: int
    inf: int
    preview: str
    error: str
    #: Present (true) for a constant or a value computed from constants alone,
    #: which the first-NaN search passes over.
    constant: NotRequired[bool]


class NonFiniteJSON(TypedDict):
    """The earliest node in topological order whose value has a NaN or an inf."""

    node: str
    label: str
    finite_inputs: list[str]
    nonfinite_inputs: list[str]
    inner: str
    inner_label: str
    reading: str


class DifferenceJSON(TypedDict):
    """One output as written against as optimized, on the same inputs."""

    output: str
    original: ValueJSON
    optimized: ValueJSON
    abs_diff: float | None
    rel_diff: float | None
    rewrites: list[str]
    reading: str


class ViewValuesJSON(TypedDict):
    """Every node's value in one view (``nodes`` by node id), and what stands out."""

    view: str
    inputs: str
    made_up: bool
    nodes: dict[str, ValueJSON]
    first_nonfinite: NonFiniteJSON | None
    differences: list[DifferenceJSON]
    notes: list[str]
    error: str
    seconds: float


# -- the inline widget -----------------------------------------------------------


class WidgetState(TypedDict):
    """The synced traits of ``GraphWidget`` (besides anywidget's own).

    ``bundle`` and each ``svg`` travel packed (``static.pack``: base64 of gzip);
    the kernel holds them unpacked, and an unpacked SVG starts with ``<``."""

    bundle: str | dict[str, Any]
    offers: OffersJSON
    svg: dict[str, str]
    layouts: dict[str, LayoutMetaJSON]
    expanded: dict[str, list[str]]
    pending: dict[str, PendingJSON]
    status: str
    error: str
    devices: DevicesJSON | dict[str, Any]
    timings: list[TimingRowJSON]
    busy: bool
    timing_error: str
    profile: ProfileJSON | dict[str, Any]
    autorun: bool
    #: view name -> its values, once the front end asked (``ValuesRequest``).
    values: dict[str, ViewValuesJSON]
    static_id: str


class TimeRequest(TypedDict):
    type: Literal["time"]
    device: NotRequired[str]
    backend: NotRequired[str | None]
    size: NotRequired[int | None]
    #: True for the run the widget starts by itself once on screen (absent for
    #: Run): the kernel refuses it for a program with side effects.
    automatic: NotRequired[bool]


class ProfileRequest(TypedDict):
    type: Literal["profile"]
    device: NotRequired[str]
    backend: NotRequired[str | None]
    size: NotRequired[int | None]


class ViewRequest(TypedDict):
    """Build a pending view now (sent when a lazy tab is opened or on screen)."""

    type: Literal["view"]
    view: str


class DevicesRequest(TypedDict):
    """Discover devices (sent once the widget is on screen)."""

    type: Literal["devices"]


class StopRequest(TypedDict):
    """Stop the timing or profile run that is queued or running: a running one
    ends as Ctrl-C would end it, keeping what it measured."""

    type: Literal["stop"]


class ValuesRequest(TypedDict):
    """Compute the values of one view (the widget's "values" toggle); the
    answer lands in the widget's ``values`` trait under the view's name."""

    type: Literal["values"]
    view: str


class SourceRequest(TypedDict):
    """The source of one of the graph's rewrites. It names a rewrite, never a
    file: the kernel reads only definitions its graph's rewrites point to."""

    type: Literal["source"]
    name: str


class SourceReply(TypedDict):
    """The widget's answer to ``SourceRequest``, sent as a custom message."""

    type: Literal["source"]
    name: str
    module: str
    line: int
    source: str
    error: NotRequired[str]


WidgetRequest = (
    TimeRequest
    | ProfileRequest
    | ViewRequest
    | DevicesRequest
    | StopRequest
    | ValuesRequest
    | SourceRequest
)


# -- the side panel's comm --------------------------------------------------------


class EntryJSON(TypedDict):
    id: str
    name: str
    framework: str
    cell: int | None
    nodes: dict[str, int]
    pending: list[str]
    timing: TimingRowJSON | None


class ListRequest(TypedDict):
    type: Literal["list"]


class GetRequest(TypedDict):
    type: Literal["get"]
    id: str


class StepsRequest(TypedDict):
    """The rewrite stepper's snapshots of one view, asked for when the stepper opens."""

    type: Literal["steps"]
    id: str
    view: str


class BuildRequest(TypedDict):
    """Build a pending view of a graph; the reply is a fresh ``GraphReply``."""

    type: Literal["build"]
    id: str
    view: str


class LayoutRequest(TypedDict):
    type: Literal["layout"]
    id: str
    view: str
    expanded: list[str]
    step: NotRequired[int | None]


class DotRequest(TypedDict):
    type: Literal["dot"]
    id: str
    view: str
    expanded: list[str]
    step: NotRequired[int | None]


class PanelValuesRequest(TypedDict):
    """The panel's document asks for the values of one view of a graph."""

    type: Literal["values"]
    id: str
    view: str


class RewriteSourceRequest(TypedDict):
    """The source of one of graph ``id``'s rewrites (see ``SourceRequest``)."""

    type: Literal["source"]
    id: str
    name: str


PanelRequest = (
    ListRequest
    | GetRequest
    | StepsRequest
    | BuildRequest
    | LayoutRequest
    | DotRequest
    | PanelValuesRequest
    | RewriteSourceRequest
)


class EntriesReply(TypedDict):
    type: Literal["entries"]
    entries: list[EntryJSON]
    #: How many older graphs the kernel let go to stay within its bounds.
    dropped: int


class GraphReply(TypedDict):
    """What a document's first paint needs: the bundle without the stepper's
    snapshots (``GraphBundle.to_json(steps=False)``, most of a big bundle),
    ``steps`` saying per view how many there are (``StepsRequest`` fetches them)."""

    type: Literal["graph"]
    id: str
    bundle: dict[str, Any]
    offers: OffersJSON
    layouts: dict[str, PictureJSON]
    pending: dict[str, PendingJSON]
    steps: dict[str, int]


class StepsReply(TypedDict):
    """``start``: the view before any rewrite; ``snapshots``: the graph right
    after each rewrite of the view that has one, keyed by the rewrite's ``step``."""

    type: Literal["steps"]
    id: str
    view: str
    start: dict[str, Any] | None
    snapshots: dict[str, dict[str, Any]]


class LayoutReply(TypedDict):
    type: Literal["layout"]
    id: str
    view: str
    step: int | None
    svg: NotRequired[str]
    meta: NotRequired[LayoutMetaJSON]
    error: NotRequired[str]


class DotReply(TypedDict):
    type: Literal["dot"]
    id: str
    view: str
    step: int | None
    dot: str


class ValuesReply(TypedDict):
    type: Literal["values"]
    id: str
    view: str
    values: ViewValuesJSON


class RewriteSourceReply(TypedDict):
    type: Literal["source"]
    id: str
    name: str
    module: str
    line: int
    source: str
    error: NotRequired[str]


PanelReply = (
    EntriesReply
    | GraphReply
    | StepsReply
    | LayoutReply
    | DotReply
    | ValuesReply
    | RewriteSourceReply
)


class PackedReply(TypedDict):
    """A big ``PanelReply`` as it travels: ``reply`` is base64 of the gzip of
    its JSON (``static.pack``). Text, not a binary buffer, so that it survives
    a gateway's relay (see ``wire.wire``)."""

    type: Literal["packed"]
    reply: str


#: What the panel's comm carries from the kernel: a reply, plain or packed.
PanelMessage = PanelReply | PackedReply

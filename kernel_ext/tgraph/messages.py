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


# -- the inline widget -----------------------------------------------------------


class WidgetState(TypedDict):
    """The synced traits of ``GraphWidget`` (besides anywidget's own)."""

    bundle: dict[str, Any]
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


class TimeRequest(TypedDict):
    type: Literal["time"]
    device: NotRequired[str]
    backend: NotRequired[str | None]
    size: NotRequired[int | None]


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


WidgetRequest = TimeRequest | ProfileRequest | ViewRequest | DevicesRequest


# -- the side panel's comm --------------------------------------------------------


class TimingSummaryJSON(TypedDict):
    device: str
    backend: str
    median_s: float | None


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


PanelRequest = ListRequest | GetRequest | BuildRequest | LayoutRequest | DotRequest


class EntriesReply(TypedDict):
    type: Literal["entries"]
    entries: list[EntryJSON]
    #: How many older graphs the kernel let go to stay within its bounds.
    dropped: int


class GraphReply(TypedDict):
    type: Literal["graph"]
    id: str
    bundle: dict[str, Any]
    offers: OffersJSON
    layouts: dict[str, PictureJSON]
    pending: dict[str, PendingJSON]


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


PanelReply = EntriesReply | GraphReply | LayoutReply | DotReply

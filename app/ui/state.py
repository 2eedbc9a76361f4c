"""The one view state every view reads; views never talk to each other.

It holds the current Profile (the GUI's own copy, appended to on the GUI
thread only), the thread filter, the selected time range, the selected
function and the search text.  ``view_profile()`` is the profile after the
thread and time filters, cached until something changes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core.counters.series import CounterSeries
from app.core.model.profile import Profile, filter_threads, filter_time


class ViewState(QObject):
    """Shared state with one signal per kind of change."""

    profileChanged = Signal()  # new samples, or a different profile
    filterChanged = Signal()  # thread filter or time range
    selectionChanged = Signal()  # selected function
    searchChanged = Signal()
    countersChanged = Signal()  # counter values or specs

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile = Profile()
        self.counters = CounterSeries()
        self.threads: frozenset[int] | None = None  # None: every thread
        self.time_range: tuple[float, float] | None = None  # None: everything
        self.selected_function: int | None = None  # function id in profile.frames
        self.search = ""
        self.generation = 0  # bumps on every profile or filter change
        self._cached: tuple[int, Profile] | None = None

    # -- reading ---------------------------------------------------------------

    def view_profile(self) -> Profile:
        """The profile after the thread and time filters (cached)."""
        if self._cached is not None and self._cached[0] == self.generation:
            return self._cached[1]
        p = self.profile
        if self.threads is not None:
            p = filter_threads(p, self.threads)
        if self.time_range is not None:
            p = filter_time(p, *self.time_range)
        self._cached = (self.generation, p)
        return p

    def function_name(self, fid: int) -> tuple[str, str]:
        return self.profile.frames.functions[fid]

    # -- changing --------------------------------------------------------------

    def set_profile(self, profile: Profile, counters: CounterSeries | None = None) -> None:
        """Show a different profile; filters and selection are reset."""
        self.profile = profile
        self.counters = counters or CounterSeries()
        self.threads = None
        self.time_range = None
        self.selected_function = None
        self._bump()
        self.profileChanged.emit()
        self.filterChanged.emit()
        self.selectionChanged.emit()
        self.countersChanged.emit()

    def samples_added(self) -> None:
        """Call after appending windows to ``profile`` (live recording)."""
        self._bump()
        self.profileChanged.emit()

    def counters_added(self) -> None:
        """Call after adding windows or specs to ``counters`` (live recording)."""
        self.countersChanged.emit()

    def set_threads(self, threads: frozenset[int] | None) -> None:
        if threads != self.threads:
            self.threads = threads
            self._bump()
            self.filterChanged.emit()

    def set_time_range(self, time_range: tuple[float, float] | None) -> None:
        if time_range != self.time_range:
            self.time_range = time_range
            self._bump()
            self.filterChanged.emit()

    def select_function(self, fid: int | None) -> None:
        if fid != self.selected_function:
            self.selected_function = fid
            self.selectionChanged.emit()

    def set_search(self, text: str) -> None:
        if text != self.search:
            self.search = text
            self.searchChanged.emit()

    def _bump(self) -> None:
        self.generation += 1
        self._cached = None

"""The main window: start screen, live recording controls, and the profile views."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app import __version__
from app.core.counters.base import CounterSpec, Unsupported
from app.core.formats import RENDERERS, ImportFormatError, RenderError, import_file
from app.core.model.delta import WindowDelta, apply_delta
from app.core.model.profile import Profile
from app.core.sampling.pyspy import SamplerOptions
from app.core.store import Store, StoreError
from app.ui.allocations_view import AllocationsWidget
from app.ui.compare import open_compare
from app.ui.counters_panel import CountersWidget
from app.ui.flamegraph import FlameGraphWidget
from app.ui.picker import ProcessPickerDialog
from app.ui.privileges_dialog import offer_permissions, open_permissions
from app.ui.recording import EMBEDDED_CLUSTER, Health, RecordingController, Target
from app.ui.rules_panel import RulesPanel
from app.ui.selector_panel import SelectorPanel
from app.ui.source_view import SourceViewWidget
from app.ui.start import StartPage
from app.ui.state import ViewState
from app.ui.suites import SuitesWidget
from app.ui.tables import CallerCalleeWidget, TopFunctionsWidget
from app.ui.timeline import TimelineWidget
from app.ui.waste_bar import WasteBarWidget


class MainWindow(QMainWindow):
    """One window; every view reads the one ViewState."""

    def __init__(self, store_path: Path, settings: QSettings, *, restore: bool = True) -> None:
        super().__init__()
        self.store_path = store_path
        self.settings = settings
        self.state = ViewState(self)
        self.recorder = RecordingController(store_path, self)
        self.recorder.windowReady.connect(self._on_window)
        self.recorder.countersInfo.connect(self._on_counters_info)
        self.recorder.stateChanged.connect(self._on_recorder_state)
        self.recorder.failed.connect(self._on_failed)
        self.recorder.note.connect(self._on_note)
        self.session_id: int | None = None
        self.setWindowTitle("Sovereign Profiler")
        self.resize(1400, 900)

        self.start_page = StartPage()
        self.flame = FlameGraphWidget(self.state)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(self.flame)
        self.setCentralWidget(self.stack)

        self.timeline = TimelineWidget(self.state)
        self.top = TopFunctionsWidget(self.state)
        self.callers = CallerCalleeWidget(self.state)
        self.source = SourceViewWidget(self.state)
        self.counters = CountersWidget(self.state)
        self.timeline.plot.getAxis("left").setWidth(48)  # same width: the time axes line up
        # Docks take their first size from these: wide enough for names and numbers.
        self.top.setMinimumWidth(380)
        self.source.setMinimumWidth(380)
        self.docks = {
            "timeline": self._dock(
                "Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea
            ),
            "top": self._dock("Top functions", self.top, Qt.DockWidgetArea.LeftDockWidgetArea),
            "callers": self._dock(
                "Callers / callees", self.callers, Qt.DockWidgetArea.RightDockWidgetArea
            ),
            "source": self._dock("Source", self.source, Qt.DockWidgetArea.RightDockWidgetArea),
            "counters": self._dock(
                "Counters", self.counters, Qt.DockWidgetArea.BottomDockWidgetArea
            ),
        }
        self.splitDockWidget(
            self.docks["timeline"], self.docks["counters"], Qt.Orientation.Vertical
        )
        self.tabifyDockWidget(self.docks["callers"], self.docks["source"])
        self.docks["source"].raise_()
        self.waste = WasteBarWidget(self.state)
        self.docks["waste"] = self._dock("Waste", self.waste, Qt.DockWidgetArea.TopDockWidgetArea)
        # Allocations (sessions recorded with --allocations): not in self.docks either, as
        # it shows only when the session has them; a tab beside Callers / Source.
        self.allocations = AllocationsWidget(self.state)
        self.allocations_dock = QDockWidget("Allocations", self)
        self.allocations_dock.setObjectName("dock-Allocations")
        self.allocations_dock.setWidget(self.allocations)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.allocations_dock)
        self.tabifyDockWidget(self.docks["source"], self.allocations_dock)
        self.docks["source"].raise_()
        self._sized = False
        # Kernel suites: a dock of its own (not in self.docks: the profile pages leave it be),
        # hidden until asked for; it loads its data when first shown.
        self.suites = SuitesWidget(store_path)
        self.selector = SelectorPanel(store_path)
        self.suites.runFinished.connect(lambda _run: self.selector.reload())
        self.kernel_tabs = QTabWidget()
        self.kernel_tabs.setDocumentMode(True)
        self.kernel_tabs.addTab(self.suites, "Suites")
        self.kernel_tabs.addTab(self.selector, "Selector")
        self.rules = RulesPanel()
        self.kernel_tabs.addTab(self.rules, "Rules of thumb")
        self.suites_dock = QDockWidget("Kernels", self)
        self.suites_dock.setObjectName("dock-Suites")
        self.suites_dock.setWidget(self.kernel_tabs)
        self.addDockWidget(
            Qt.DockWidgetArea.RightDockWidgetArea, self.suites_dock, Qt.Orientation.Horizontal
        )
        self.suites_dock.setVisible(False)

        self._build_toolbar()
        self._build_menus()
        self._wire_start_page()
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self._restored = False
        if restore:
            self._restore()
        self.show_start()

    # -- construction ---------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar(self) -> None:
        tb = QToolBar("Recording")
        tb.setObjectName("toolbar-recording")
        self.addToolBar(tb)
        self.act_record = QAction("● Record demo", self)
        self.act_record.setToolTip("Record the demo workload (Ctrl+D)")
        self.act_record.triggered.connect(self.record_demo)
        self.act_pause = QAction("❚❚ Pause", self, shortcut=QKeySequence("Ctrl+P"))
        self.act_pause.triggered.connect(self.toggle_pause)
        self.act_stop = QAction("■ Stop", self, shortcut=QKeySequence("Ctrl+."))
        self.act_stop.triggered.connect(self.recorder.stop)
        for a in (self.act_record, self.act_pause, self.act_stop):
            tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Rate "))
        self.rate = QSpinBox(minimum=1, maximum=1000, value=100, suffix=" Hz")
        tb.addWidget(self.rate)
        self.opt_boxes: dict[str, QCheckBox] = {}
        for key, label, tip in (
            ("idle", "idle", "include idle threads"),
            ("gil", "GIL only", "only samples holding the GIL"),
            ("native", "native", "include C/C++/Cython frames"),
            ("subprocesses", "subprocesses", "follow child processes"),
            ("nonblocking", "non-blocking", "don't pause the target to sample"),
        ):
            box = QCheckBox(label)
            box.setToolTip(tip)
            tb.addWidget(box)
            self.opt_boxes[key] = box
        tb.addSeparator()
        self.health = QLabel("")
        self.health.setTextFormat(Qt.TextFormat.PlainText)
        tb.addWidget(self.health)
        self._update_actions()

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        for text, keys, slot in (
            ("Start page", "Ctrl+Home", self.show_start),
            ("Profile the demo workload", "Ctrl+D", self.record_demo),
            ("Attach to process…", "Ctrl+Shift+A", self.attach_dialog),
            ("Launch program…", "Ctrl+L", self.launch_dialog),
            ("Profile Dask cluster…", "Ctrl+Shift+C", self.cluster_dialog),
            ("Open file…", "Ctrl+O", self.open_file_dialog),
            ("Compare sessions…", "Ctrl+Shift+D", self.compare_dialog),
        ):
            act = QAction(text, self, shortcut=QKeySequence(keys))
            act.triggered.connect(slot)
            file_menu.addAction(act)
        self.export_menu = file_menu.addMenu("Export")
        for name, renderer in RENDERERS.items():
            act = QAction(f"{name} ({renderer.extension}) — {renderer.description}", self)
            act.triggered.connect(lambda _=False, n=name: self.export_dialog(n))
            self.export_menu.addAction(act)
        file_menu.addSeparator()
        quit_act = QAction("Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_act.triggered.connect(self.close)
        file_menu.addAction(quit_act)

        rec_menu = mb.addMenu("&Recording")
        rec_menu.addAction(self.act_pause)
        rec_menu.addAction(self.act_stop)

        view = mb.addMenu("&View")
        find = QAction("Find in flame graph", self, shortcut=QKeySequence.StandardKey.Find)
        find.triggered.connect(self._focus_search)
        view.addAction(find)
        clear = QAction("Clear time range", self, shortcut=QKeySequence("Ctrl+Shift+R"))
        clear.triggered.connect(lambda: self.state.set_time_range(None))
        view.addAction(clear)
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addAction(self.allocations_dock.toggleViewAction())
        view.addAction(self.suites_dock.toggleViewAction())

        tools = mb.addMenu("&Tools")
        self.act_suites = QAction("Kernel suites…", self, shortcut=QKeySequence("Ctrl+K"))
        self.act_suites.setToolTip("Run the kernel suites across scalar, SIMD, OpenCL and Dask")
        self.act_suites.triggered.connect(self.show_suites)
        tools.addAction(self.act_suites)
        self.act_selector = QAction("Backend selector…", self, shortcut=QKeySequence("Ctrl+J"))
        self.act_selector.setToolTip("Which tier each selector policy picks, and why")
        self.act_selector.triggered.connect(self.show_selector)
        tools.addAction(self.act_selector)

        sessions = mb.addMenu("&Session")
        rename = QAction("Rename…", self, shortcut=QKeySequence("F2"))
        rename.triggered.connect(lambda: self.rename_session(self.session_id))
        sessions.addAction(rename)
        delete = QAction("Delete", self)
        delete.triggered.connect(lambda: self.delete_session(self.session_id))
        sessions.addAction(delete)

        help_menu = mb.addMenu("&Help")
        permissions = QAction("Permissions…", self)
        permissions.setToolTip("What can be profiled here, and how to allow more")
        permissions.triggered.connect(lambda: open_permissions(self))
        help_menu.addAction(permissions)
        about = QAction("About", self)
        about.triggered.connect(
            lambda: QMessageBox.about(self, "Sovereign Profiler", f"sovprof {__version__}")
        )
        help_menu.addAction(about)

    def _wire_start_page(self) -> None:
        sp = self.start_page
        sp.demoRequested.connect(self.record_demo)
        sp.attachRequested.connect(self.attach_dialog)
        sp.launchRequested.connect(self.launch_dialog)
        sp.clusterRequested.connect(self.cluster_dialog)
        sp.openFileRequested.connect(self.open_file_dialog)
        sp.sessionActivated.connect(self.open_session)
        sp.renameRequested.connect(self.rename_session)
        sp.deleteRequested.connect(self.delete_session)

    # -- pages ----------------------------------------------------------------

    def show_start(self) -> None:
        self.refresh_sessions()
        self.stack.setCurrentWidget(self.start_page)
        for dock in self.docks.values():
            dock.setVisible(False)
        self.allocations_dock.setVisible(False)

    def show_profile(self) -> None:
        self.stack.setCurrentWidget(self.flame)
        for dock in self.docks.values():
            dock.setVisible(True)
        self.allocations_dock.setVisible(self.allocations.capture is not None)
        if not self._sized and not self._restored:
            # First-run proportions (docks only size once visible): the flame
            # graph gets most of the window, the tables enough for their names.
            self._sized = True
            QTimer.singleShot(0, self._first_run_sizes)

    def show_suites(self) -> None:
        """Show the Suites dock, wide enough for its table and plots.

        Docked beside the page when the window has room for it; else (the start page
        is wide) in a window of its own, which the user can dock back.
        """
        dock = self.suites_dock
        central = self.centralWidget()
        room = self.width() - (central.minimumSizeHint().width() if central else 0)
        if not dock.isVisible() and not dock.isFloating() and room < 900:
            dock.setFloating(True)
            geo = self.geometry()
            dock.resize(max(900, min(1300, geo.width() - 60)), max(650, min(860, geo.height())))
            dock.move(geo.x() + 30, geo.y() + 30)
        dock.setVisible(True)
        dock.raise_()
        if dock.isFloating():
            dock.activateWindow()
        else:
            width = max(900, int(self.width() * 0.7))
            self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def show_selector(self) -> None:
        self.show_suites()
        self.kernel_tabs.setCurrentWidget(self.selector)

    def _first_run_sizes(self) -> None:
        self.resizeDocks(
            [self.docks["timeline"], self.docks["counters"]], [160, 200], Qt.Orientation.Vertical
        )
        allocations = self.allocations_dock.isVisible()  # it gets room for its graphs
        right = self.allocations_dock if allocations else self.docks["source"]
        self.resizeDocks(
            [self.docks["top"], right], [460, 560 if allocations else 440],
            Qt.Orientation.Horizontal,
        )  # fmt: skip

    def refresh_sessions(self) -> None:
        try:
            with Store(self.store_path) as store:
                self.start_page.set_sessions(store.list_sessions())
        except StoreError as exc:
            self._on_failed(str(exc))

    # -- recording ------------------------------------------------------------

    def options(self) -> SamplerOptions:
        b = self.opt_boxes
        return SamplerOptions(
            rate=self.rate.value(),
            idle=b["idle"].isChecked(),
            gil=b["gil"].isChecked(),
            native=b["native"].isChecked(),
            subprocesses=b["subprocesses"].isChecked(),
            nonblocking=b["nonblocking"].isChecked(),
        )

    def record(self, target: Target) -> None:
        if self.recorder.running or self.recorder.state == "paused":
            self.recorder.shutdown()
        self.state.set_profile(Profile(rate_hz=float(self.rate.value())))
        self.allocations.set_capture(None)
        self.setWindowTitle(f"Sovereign Profiler — {target.describe()}")
        self.show_profile()
        self.recorder.start(target, self.options())
        self.session_id = self.recorder.session

    def record_demo(self) -> None:
        self.record(Target.demo())

    def record_pid(self, pid: int) -> None:
        self.record(Target(pid=pid))

    def record_command(self, command: list[str]) -> None:
        self.record(Target(command=tuple(command)))

    def record_cluster(self, address: str) -> None:
        """Every worker of the Dask cluster at ``address`` ("embedded": a demo cluster)."""
        self.record(Target.cluster(address))

    def toggle_pause(self) -> None:
        if self.recorder.state == "recording":
            self.recorder.pause()
        elif self.recorder.state == "paused":
            self.recorder.resume()

    def _on_counters_info(self, specs: list[CounterSpec], unsupported: list[Unsupported]) -> None:
        self.state.counters.specs = {s.name: s for s in specs}
        self.state.counters.unsupported = list(unsupported)
        self.state.counters_added()

    def _on_window(
        self,
        delta: WindowDelta,
        health: Health,
        reading: tuple[float, float, dict[str, float]] | None,
    ) -> None:
        idx = apply_delta(self.state.profile, delta)
        if reading is not None:
            self.state.counters.add(idx, *reading)
        self.state.samples_added()
        if reading is not None:
            self.state.counters_added()
        self.session_id = self.recorder.session
        self.health.setText(health.text())

    def _on_recorder_state(self, state: str) -> None:
        self.session_id = self.recorder.session
        self.status_label.setText(f"Recording: {state}")
        self._update_actions()
        if state not in ("idle", "recording", "paused") and self.session_id is not None:
            self.show_allocations(self.session_id)  # a recording has ended

    def _on_note(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def _on_failed(self, message: str) -> None:
        self.status_label.setText(message)
        self.statusBar().showMessage(message, 15000)
        offer_permissions(self, message)

    def _update_actions(self) -> None:
        state = self.recorder.state
        live = state in ("recording", "paused")
        self.act_pause.setEnabled(live)
        self.act_pause.setText("▶ Resume" if state == "paused" else "❚❚ Pause")
        self.act_stop.setEnabled(live)
        for w in (self.rate, *self.opt_boxes.values()):
            w.setEnabled(not live)

    # -- dialogs --------------------------------------------------------------

    def attach_dialog(self) -> None:
        dlg = ProcessPickerDialog(self)
        if dlg.exec() and (p := dlg.selected()) is not None and p.attachable:
            self.record_pid(p.pid)

    def launch_dialog(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Launch program", "Command line (e.g. python my_script.py --args):"
        )
        if ok and text.strip():
            try:
                self.record_command(shlex.split(text))
            except ValueError as exc:
                self._on_failed(f"cannot parse the command line: {exc}")

    def cluster_dialog(self) -> None:
        text, ok = QInputDialog.getText(
            self,
            "Profile Dask cluster",
            "Scheduler address (e.g. tcp://scheduler:8786), or “embedded” for a local demo "
            "cluster with a busy workload:",
            text=EMBEDDED_CLUSTER,
        )
        if ok and text.strip():
            self.record_cluster(text.strip())

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open profile",
            os.getcwd(),
            "Profiles (*.json *.txt *.folded *.collapsed);;All files (*)",
        )
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        try:
            profile = import_file(path)
            with Store(self.store_path) as store:
                sid = store.save_profile(profile, name=os.path.basename(path), target=path)
        except (ImportFormatError, StoreError) as exc:
            self._on_failed(str(exc))
            return
        except OSError as exc:
            self._on_failed(f"{path}: {exc.strerror or exc}")
            return
        self.open_session(sid)

    def open_session(self, session_id: int) -> None:
        try:
            with Store(self.store_path) as store:
                profile = store.load_profile(session_id)
                counters = store.load_counters(session_id)
        except StoreError as exc:
            self._on_failed(str(exc))
            return
        self.session_id = session_id
        self.state.set_profile(profile, counters)
        self.setWindowTitle(f"Sovereign Profiler — {profile.meta.get('name', session_id)}")
        self.show_profile()
        self.show_allocations(session_id)

    def show_allocations(self, session_id: int) -> None:
        """Load the session's allocations into their dock: shown (and raised) when it has
        them, hidden when not."""
        try:
            with Store(self.store_path) as store:
                capture = store.load_allocations(session_id)
        except StoreError as exc:
            capture = None
            self.statusBar().showMessage(str(exc), 15000)
        self.allocations.set_capture(capture)
        dock = self.allocations_dock
        if self.stack.currentWidget() is self.flame:
            dock.setVisible(capture is not None)
        if capture is not None:
            dock.raise_()

    def compare_dialog(self) -> None:
        """Ask for two saved sessions and open their comparison in a window of its own."""
        open_compare(self, self.store_path)

    def rename_session(self, session_id: int | None) -> None:
        if session_id is None:
            return
        name, ok = QInputDialog.getText(self, "Rename session", "New name:")
        if ok and name.strip():
            try:
                with Store(self.store_path) as store:
                    store.rename(session_id, name.strip())
            except StoreError as exc:
                self._on_failed(str(exc))
            self.refresh_sessions()

    def delete_session(self, session_id: int | None) -> None:
        if session_id is None:
            return
        answer = QMessageBox.question(self, "Delete session", f"Delete session {session_id}?")
        if answer == QMessageBox.StandardButton.Yes:
            try:
                with Store(self.store_path) as store:
                    store.delete(session_id)
            except StoreError as exc:
                self._on_failed(str(exc))
            self.refresh_sessions()

    def export_dialog(self, fmt: str) -> None:
        renderer = RENDERERS[fmt]
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt}", f"profile{renderer.extension}", f"{fmt} (*{renderer.extension})"
        )
        if path:
            self.export(fmt, path)

    def export(self, fmt: str, path: str) -> None:
        renderer = RENDERERS[fmt]
        try:
            data = renderer.render(self.state.profile)
            Path(path).write_bytes(data)
        except (RenderError, OSError) as exc:
            self._on_failed(f"export failed: {exc}")
            return
        notes = renderer.warnings(self.state.profile)
        self.statusBar().showMessage(
            f"Exported {fmt} to {path}" + (f" — {notes[0]}" if notes else "")
        )

    def select_when_seen(self, function: str) -> None:
        """Select ``function`` (by name) as soon as the profile has it, and show its source."""

        def attempt() -> None:
            if self.state.selected_function is not None:
                return
            for fid, (name, _file) in enumerate(self.state.profile.frames.functions):
                if name == function:
                    self.state.select_function(fid)
                    self.docks["source"].raise_()
                    return

        self.state.profileChanged.connect(attempt)
        attempt()

    def _focus_search(self) -> None:
        box = getattr(self.flame, "search_box", None)
        if box is not None:
            box.setFocus()
            box.selectAll()

    # -- settings -------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        st = s.value("window/state")
        if isinstance(st, QByteArray):
            self._restored = self.restoreState(st)
        self.rate.setValue(int(s.value("options/rate", 100)))  # type: ignore[call-overload]
        for key, box in self.opt_boxes.items():
            box.setChecked(str(s.value(f"options/{key}", "false")).lower() == "true")

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("options/rate", self.rate.value())
        for key, box in self.opt_boxes.items():
            s.setValue(f"options/{key}", box.isChecked())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.recorder.shutdown()
        self.suites.shutdown()
        super().closeEvent(event)

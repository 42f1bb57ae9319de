"""The console's one main screen: the tabs and the FAQ, and what passes between the tabs."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Static, TabbedContent, TabPane

from console.channel import Channel, draft
from console.guide import Faq, Guide, Question, Recommendation, Walk
from console.tui.messages import (
    ChannelChanged,
    DiagnosisChanged,
    GuideRestarted,
    GuideStepped,
    ShowFaq,
    ShowTab,
    StartChannel,
    TabLabel,
)
from console.tui.rehearsal import Rehearsal
from console.tui.widgets.burst_pane import BurstPane
from console.tui.widgets.channel_form import ChannelForm
from console.tui.widgets.editor_pane import EditorPane
from console.tui.widgets.faq_panel import FaqPanel
from console.tui.widgets.guide_panel import GuidePanel
from console.tui.widgets.key_bar import KeyBar
from console.tui.widgets.messages_pane import MessagesPane
from console.tui.widgets.rehearse_pane import RehearsePane
from simulator.profile import Profile

if TYPE_CHECKING:  # the rest loads when first needed, after the first screen
    from console.diagnosis import Diagnosis

WIDE_WIDTH = 110  # from here the FAQ stands beside the tabs
SPLIT_WIDTH = 120  # from here the guide and the editor stand side by side
MIN_SIZE = (60, 18)  # below this the panes have no rows or columns left to be read
TABS = ("tab-guide", "tab-channel", "tab-rehearse", "tab-burst", "tab-messages")
FIRST_FIELD = {
    "tab-channel": "#channel-name",
    "tab-rehearse": "#trainer-toggles",
    "tab-burst": "#burst-count",
    "tab-messages": "#captured",
}


class MainScreen(Screen[None]):
    """Everything in tabs, with the FAQ beside them when the terminal is wide enough."""

    HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] = []  # _fit sets -narrow / -wide with the rest

    BINDINGS = [
        Binding("f2", "toggle_faq", "FAQ", id="main.faq", tooltip="Show or hide the FAQ"),
        Binding(
            "f3",
            "toggle_preview",
            "Preview",
            id="main.preview",
            tooltip="Show the file ctrl+s would write",
        ),
        Binding("ctrl+s", "save", "Save", id="main.save", tooltip="Save the channel"),
        Binding(
            "f4",
            "export",
            "Export",
            id="main.export",
            show=False,
            tooltip="The channel as Postfix, msmtp or application settings",
        ),
        Binding(
            "ctrl+o", "open", "Open", id="main.open", show=False, tooltip="Open a saved channel"
        ),
        Binding(
            "ctrl+n", "new", "New", id="main.new", show=False, tooltip="Start again from the guide"
        ),
        Binding("ctrl+t", "test", "Test", id="main.test", tooltip="Check against the simulator"),
        Binding(
            "ctrl+g",
            "sign_in",
            "Sign in",
            id="main.sign-in",
            show=False,
            tooltip="OAuth sign-in for an xoauth2/oauthbearer channel",
        ),
        Binding("ctrl+b", "burst", "Burst", id="main.burst", tooltip="Send a burst"),
        Binding(
            "ctrl+l",
            "live_test",
            "Live",
            id="main.live",
            show=False,
            tooltip="The check against the real server",
        ),
        Binding(
            "g",
            "read_guide",
            "Read",
            id="main.read-guide",
            tooltip="Open the FAQ entry the diagnosis names",
        ),
        Binding(
            "slash",
            "search_faq",
            "Search FAQ",
            id="main.search-faq",
            show=False,
            tooltip="Jump to the FAQ search box",
        ),
        *[
            Binding(
                f"f{n}",
                f"show_tab('{tab}')",
                tab[4:].title(),
                id=f"main.{tab}",
                show=False,
                tooltip=f"The {tab[4:].title()} tab",
            )
            for n, tab in enumerate(TABS, 5)
        ],
    ]

    def __init__(self, profiles: dict[str, Profile], guide: Guide, faq: Faq) -> None:
        super().__init__()
        self.profiles, self.guide, self.faq = profiles, guide, faq
        first = "office365" if "office365" in profiles else next(iter(profiles))
        self.channel: Channel | None = draft(profiles[first], "my-channel")
        self.problem_count = 0
        self.diagnosis: Diagnosis | None = None
        self.rehearsal = Rehearsal()
        self.too_small = ""
        self.walk = Walk(guide)  # one walk, shown in the Guide tab or beside the editor
        self.return_focus: Widget | None = None  # where focus goes back when the FAQ closes
        self.shown = False  # resumed at least once
        self.focus_before_small: Widget | None = None

    def compose(self) -> ComposeResult:
        self._fit(*self.app.size)  # before the first layout: tiny panes cannot even be drawn
        with Horizontal(id="body"):
            yield GuidePanel(self.guide, walk=self.walk, id="guide-side")
            with TabbedContent(id="tabs"):
                with TabPane("Guide", id="tab-guide"):
                    yield GuidePanel(self.guide, walk=self.walk, id="guide")
                with TabPane("Channel", id="tab-channel"):
                    yield EditorPane(self.profiles, self.channel, id="editor")
                with TabPane("Rehearse", id="tab-rehearse"):
                    yield RehearsePane(
                        self.rehearsal, self.profiles, self.faq, self.typed_secret, id="rehearse"
                    )
                with TabPane("Burst", id="tab-burst"):
                    yield BurstPane(self.rehearsal, self.typed_secret)
                with TabPane("Messages", id="tab-messages"):
                    yield MessagesPane(self.rehearsal)
            yield FaqPanel(self.faq, id="faq")
        yield Static(self.too_small, id="too-small")
        yield KeyBar()

    def on_mount(self) -> None:
        self._split(self.has_class("-split"))
        self.guide_panel().focus_step()

    def guide_panel(self) -> GuidePanel:
        """The guide on screen: beside the editor on wide terminals, else in its tab."""
        return self.query_one("#guide-side" if self.has_class("-split") else "#guide", GuidePanel)

    def _split(self, split: bool) -> None:
        """From SPLIT_WIDTH columns the guide stands beside the editor, and its tab goes."""
        tabs = self.query_one(TabbedContent)
        if split:
            tabs.hide_tab("tab-guide")
            if tabs.active == "tab-guide":
                tabs.active = "tab-channel"
            self._guide_beside_channel()
        else:
            tabs.show_tab("tab-guide")
        focused = self.focused
        hidden_guide = self.query_one("#guide-side" if not split else "#guide", GuidePanel)
        if focused is not None and (focused is hidden_guide or hidden_guide in focused.ancestors):
            self.call_after_refresh(self.guide_panel().focus_step)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Shown for the first time, just mounted: every widget already has its styles, and
        # restyling them all again would only hold the first screen back.
        if not self.shown:
            self.shown = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        self._fit(*event.size)

    def _fit(self, width: int, height: int) -> None:
        """The screen's size classes, set in one go: each change restyles every widget."""
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        split = width >= SPLIT_WIDTH and not small
        was_split, was_small = self.has_class("-split"), self.has_class("-too-small")
        wide = width >= WIDE_WIDTH
        if small and not was_small:
            self.focus_before_small = self.focused  # hidden, it loses the focus
        self.update_classes(
            {"-too-small": small, "-split": split, "-wide": wide, "-narrow": not wide},
            animate=False,
        )
        if split != was_split and self.is_mounted:
            self._split(split)
        if was_small and not small:
            self.call_after_refresh(self._refocus)
        if small:
            self.too_small = (
                f"The terminal is {width}x{height}; the console needs at least "
                f"{MIN_SIZE[0]}x{MIN_SIZE[1]}.\nMake the window larger, or press ctrl+q to quit."
            )
            for notice in self.query("#too-small").results(Static):
                notice.update(self.too_small)

    def _refocus(self) -> None:
        """Give the focus back where it was before the terminal got too small."""
        widget = self.focus_before_small
        if widget is not None and widget.is_attached and widget.focusable:
            widget.focus()
        elif self.focused is None:
            self.guide_panel().focus_step()

    async def on_unmount(self) -> None:
        await self.rehearsal.stop()

    def typed_secret(self) -> str:
        """The secret typed in the editor, if any."""
        return self.query_one(EditorPane).password()

    # ------------------------------------------------------------ between tabs

    @on(ShowFaq)
    def suggest_faq(self, message: ShowFaq) -> None:
        self.query_one(FaqPanel).suggest(message.entry_ids)

    @on(StartChannel)
    @work(exclusive=True, group="replace-draft")
    async def start_channel(self, message: StartChannel) -> None:
        editor = self.query_one(EditorPane)
        if not await editor.keep_or_drop("starting another channel from the guide"):
            return
        if not editor.start_from(message.recommendation):
            return
        if self.has_class("-split"):  # the editor is in sight: the guide keeps the focus
            self.query_one(TabbedContent).active = "tab-channel"
        else:
            self.action_show_tab("tab-channel")
        self.notify(f"Channel drafted from: {message.recommendation.title}", title="Guide")

    @on(GuideStepped)
    def guide_stepped(self, message: GuideStepped) -> None:
        """Beside the editor, reaching a recommendation fills the draft at once."""
        if not self.has_class("-split") or message.node.id == self.guide.root:
            return
        if isinstance(message.node, Recommendation):
            self.post_message(StartChannel(message.node))
            return
        # The draft shows the provider most answers ahead lead to, as soon as one leads.
        ahead = providers_ahead(self.guide, message.node).most_common(2)
        if len(ahead) == 1 or (len(ahead) == 2 and ahead[0][1] > ahead[1][1]):
            self.query_one(EditorPane).follow_guide(ahead[0][0])

    @on(GuideRestarted)
    def guide_restarted(self) -> None:
        self.query_one(ChannelForm).clear_password()

    @work(exclusive=True, group="quit")
    async def quit_safely(self) -> None:
        """Quit, after Save / Discard / Cancel when there are unsaved edits."""
        if await self.query_one(EditorPane).keep_or_drop("quitting"):
            self.app.exit()

    @on(ChannelChanged)
    def channel_changed(self, message: ChannelChanged) -> None:
        self.channel, count = message.channel, message.problem_count
        self.problem_count = count
        tab = self.query_one(TabbedContent).get_tab("tab-channel")
        tab.label = f"Channel ({count}!)" if count else "Channel"
        self.refresh_bindings()
        self.query_one(RehearsePane).follow(message.channel)

    @on(DiagnosisChanged)
    def diagnosis_changed(self, message: DiagnosisChanged) -> None:
        self.diagnosis = message.diagnosis
        self.refresh_bindings()

    @on(TabLabel)
    def relabel_tab(self, message: TabLabel) -> None:
        self.query_one(TabbedContent).get_tab(message.tab).label = message.label

    @on(ShowTab)
    def show_tab(self, message: ShowTab) -> None:
        self.action_show_tab(message.tab)

    @on(Button.Pressed, "#burst-start")
    def burst_pressed(self) -> None:
        self.action_burst()

    # ------------------------------------------------------- tabs and the FAQ

    def _faq_beside(self) -> bool:
        """The FAQ stands beside the tabs unless hidden (wide, below the split width)."""
        return self.has_class("-wide") and not self.has_class("-split")

    def _faq_shown(self) -> bool:
        if self._faq_beside():
            return not self.has_class("-faq-hidden")
        return self.has_class("-faq-shown")

    def _open_faq(self) -> None:
        if not self._faq_shown() or not self._in_faq(self.focused):
            self.return_focus = self.focused
        self.remove_class("-faq-hidden")
        if not self._faq_beside():
            self.add_class("-faq-shown")

    def _in_faq(self, widget: Widget | None) -> bool:
        faq = self.query_one(FaqPanel)
        return widget is not None and (widget is faq or faq in widget.ancestors)

    def action_toggle_faq(self) -> None:
        """Show or hide the FAQ (on narrow terminals it takes the whole width)."""
        if not self._faq_shown():
            self._open_faq()
            return
        if self._faq_beside():
            self.add_class("-faq-hidden")
        else:
            self.remove_class("-faq-shown")
        self._restore_focus()

    def _restore_focus(self) -> None:
        """Back to the field that had the focus before the FAQ took it, not the tab bar."""
        target, self.return_focus = self.return_focus, None
        if target is not None and target.is_attached and not self._in_faq(target):
            self.call_after_refresh(target.focus)
        elif self._in_faq(self.focused) and not self._faq_shown():
            self.call_after_refresh(self.action_show_tab, self.query_one(TabbedContent).active)

    def action_search_faq(self) -> None:
        """Jump to the FAQ search box."""
        self._open_faq()
        self.query_one("#faq-search", Input).focus()

    def action_read_guide(self) -> None:
        """Open the FAQ entry the diagnosis points to."""
        if self.diagnosis and self.diagnosis.guide in self.faq.ids():
            self.query_one(FaqPanel).show(self.diagnosis.guide)
            self._open_faq()
            self.query_one("#faq-questions").focus()

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and focus its first field."""
        if not self.has_class("-split") or tab == "tab-guide":
            self.remove_class("-faq-shown")
        if tab == "tab-guide":
            split = self.has_class("-split")
            self.query_one(TabbedContent).active = "tab-channel" if split else tab
            self._guide_beside_channel()  # before the focus: the guide must be shown
            self.guide_panel().focus_step()
            return
        self.query_one(TabbedContent).active = tab
        for field in self.query(FIRST_FIELD[tab]):  # none for an instant while lazy
            field.focus()

    def _guide_beside_channel(self) -> None:
        """The side guide stands beside the editor while split on the Channel tab."""
        # A class on the side guide, not on the screen: a screen class restyles every widget;
        # and left alone while not split, where the side guide is never shown.
        on_channel = self.query_one(TabbedContent).active == "tab-channel"
        self.query_one("#guide-side").set_class(
            self.has_class("-split") and on_channel, "-on-channel"
        )

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self._guide_beside_channel()
        self.refresh_bindings()
        editor = self.query_one(EditorPane)
        editor.previewing = self.query_one(TabbedContent).active == "tab-channel"
        editor.update_preview()

    def action_toggle_preview(self) -> None:
        """On narrow terminals, switch between the form and the file preview."""
        self.query_one(EditorPane).toggle_class("-preview")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what cannot be done right now."""
        if action == "toggle_preview":
            on_editor = self.query_one(TabbedContent).active == "tab-channel"
            return on_editor and not self.has_class("-wide")
        if action == "read_guide":
            return self.diagnosis is not None and bool(self.diagnosis.guide)
        if action in ("save", "test", "burst", "live_test", "export"):
            return True if self.channel is not None else None
        return True

    # -------------------------------------------------- actions, by their tab

    def action_save(self) -> None:
        """Save the channel file (and the typed secret, to its source)."""
        self.query_one(EditorPane).save()

    def action_export(self) -> None:
        """Preview the channel as another program's settings; copy or save it."""
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        from console.export.base import reference_for
        from console.tui.screens.export import ExportScreen

        path = self.query_one(EditorPane).path
        self.app.push_screen(ExportScreen(self.channel, reference_for(path, self.channel.name)))
        if path is None:
            self.notify(
                "Not saved yet: the export's smtp-console commands find the channel once saved.",
                severity="warning",
            )

    def action_sign_in(self) -> None:
        """The OAuth sign-in step for the saved channel (its [oauth] table lives in the file)."""
        from console import store
        from console.tui.screens.oauth_signin import SignInScreen, token_status

        path = self.query_one(EditorPane).path
        if path is None or not path.exists():
            self.notify("Save the channel first: the sign-in reads its [oauth] table.")
            return
        try:
            channel = store.read(path).channel
        except store.ChannelFileError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        if not channel.signs_in_with_oauth:
            self.notify('This channel does not sign in with OAuth (auth.secret = "oauth").')
            return
        signed_in = channel

        def done(_: bool | None) -> None:
            self.notify(token_status(signed_in), markup=False)
            self.query_one(EditorPane).show_token_status(again=True)

        self.app.push_screen(SignInScreen(channel), done)

    def action_open(self) -> None:
        """Pick a saved channel and load it into the editor."""
        self.query_one(EditorPane).open_saved()

    def action_new(self) -> None:
        """Back to the guide to start a new channel."""
        self.guide_panel().action_restart()
        self.action_show_tab("tab-guide")

    def action_test(self) -> None:
        """The staged check against the simulator."""
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        self.action_show_tab("tab-rehearse")
        if self.problem_count:
            self.notify(
                f"The channel still has {self.problem_count} problem(s); testing it anyway.",
                severity="warning",
            )
        self._stop_smtp_jobs()
        self.query_one(RehearsePane).run_test(self.channel)

    def action_live_test(self) -> None:
        """The same check against the real server, after a confirmation."""
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        self._stop_smtp_jobs()
        self.query_one(RehearsePane).run_live_test(self.channel)

    def action_burst(self) -> None:
        """Send the burst set up in the Burst tab to the simulator."""
        burst = self.query_one(BurstPane)
        self.action_show_tab("tab-burst")
        settings = burst.settings(self.channel)
        if settings is None or self.channel is None:
            return
        self._stop_smtp_jobs()
        burst.run_burst(self.channel, *settings)

    def _stop_smtp_jobs(self) -> None:
        # A check and a burst share the simulator and the clock: one at a time.
        for pane in (self.query_one(RehearsePane), self.query_one(BurstPane)):
            self.app.workers.cancel_group(pane, "check")


def providers_ahead(guide: Guide, node: Question) -> Counter[str]:
    """How many recommendations reachable from this question name each provider."""
    seen: set[str] = set()
    todo, found = [node.id], Counter[str]()
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        step = guide.node(node_id)
        if isinstance(step, Recommendation):
            found[step.provider] += 1
        else:
            todo.extend(option.next for option in step.options)
    return found

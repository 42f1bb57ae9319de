"""No keyring here: explain the alternatives and let the user pick where the secret lives."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

EXPLANATION = """\
[b]No system keyring here[/b] (usual on a server reached over SSH). The secret \
is never written to a file instead. Choose where it comes from, or start a \
Secret Service (e.g. gnome-keyring) and save again:"""


class SecretSourceDialog(ModalScreen[str | None]):
    """Returns the chosen secret source (env:NAME, command:CMD or prompt), or None."""

    DEFAULT_CSS = """
    SecretSourceDialog { align: center middle; }
    SecretSourceDialog > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    SecretSourceDialog RadioSet { width: 100%; }
    SecretSourceDialog RadioSet { margin-top: 1; }
    """
    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="secret-source.cancel",
            tooltip="Keep the channel as it was",
        )
    ]
    AUTO_FOCUS = "#secret-kind"

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "The secret was not stored"
            yield Static(EXPLANATION)
            with RadioSet(id="secret-kind"):
                yield RadioButton(
                    "Environment variable, set before starting", value=True, id="kind-env"
                )
                yield RadioButton("Command printing it (password manager)", id="kind-command")
                yield RadioButton("Ask each time, kept for the session", id="kind-prompt")
            yield Input("SMTP_PASSWORD", placeholder="variable name", id="secret-detail")
            yield Button("Use this (enter)", id="secret-use", variant="primary")

    def _kind(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return (pressed.id or "kind-env").removeprefix("kind-") if pressed else "env"

    @on(RadioSet.Changed)
    def kind_changed(self) -> None:
        detail = self.query_one("#secret-detail", Input)
        kind = self._kind()
        detail.display = kind != "prompt"
        detail.value = "SMTP_PASSWORD" if kind == "env" else ""
        detail.placeholder = "variable name" if kind == "env" else "command that prints the secret"

    @on(Input.Submitted)
    @on(Button.Pressed, "#secret-use")
    def use(self) -> None:
        kind, detail = self._kind(), self.query_one("#secret-detail", Input).value.strip()
        if kind == "prompt":
            self.dismiss("prompt")
        elif detail:
            self.dismiss(f"{kind}:{detail}")
        else:
            self.notify("Fill in the variable name or the command.", severity="warning")

    def action_cancel(self) -> None:
        """Keep the channel as it was."""
        self.dismiss(None)

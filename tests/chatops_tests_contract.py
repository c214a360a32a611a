"""Content every transport must be able to send (shared by the contract tests)."""

from chatops.models.content import Button, Buttons, Content, Fields, Mention, Text

RICH = Content(
    blocks=(
        Text(parts=("Incident Commander: ", Mention(user_id="x:alice", name="alice"))),
        Fields(items=(("Severity", "Sev1"), ("Status", "investigating"))),
        Buttons(buttons=(Button(label="Acknowledge", action_id="page.ack:17", command="!page ack P-17"),)),
    )
)

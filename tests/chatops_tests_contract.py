"""What the contract tests share: content every transport must be able to send, and the
flags example plugin (examples/flags-plugin) that every transport must run unchanged."""

import chatops_flags
from flag_service import FLAG

from chatops.models.content import Button, Buttons, Content, Fields, Mention, Text

RICH = Content(
    blocks=(
        Text(parts=("Incident Commander: ", Mention(user_id="x:alice", name="alice"))),
        Fields(items=(("Severity", "Sev1"), ("Status", "investigating"))),
        Buttons(buttons=(Button(label="Acknowledge", action_id="page.ack:17", command="!page ack P-17"),)),
    )
)

# The kill-switch scenario: `!flag off new-checkout` (or the platform's slash command) asks,
# the Confirm button is pressed the platform's way, the flag service gets one PUT, the room hears.
FLAGS_PLUGIN: list[tuple[str, object]] = [("flags", chatops_flags)]
FLAG_ASK = f"Turn off flag {FLAG} for all users now?"
FLAG_DONE = f"Flag {FLAG} is off."

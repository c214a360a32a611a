"""chatops: a pluggy host for incident response in chat.

The host knows nothing of incidents and nothing of any chat platform; both
arrive as plugins and transports.  Plugin authors import from here.
"""

from chatops.commands.declare import Arg, Command, CommandGroup, Option, Permission
from chatops.context import CommandContext, UserError
from chatops.hookspecs import hookimpl
from chatops.models.chat import Capabilities, Message, MessageRef, Room, ThreadRef, User
from chatops.models.content import Button, Content, Fields, Form, FormField, Mention, Text

__version__ = "0.1.0"

__all__ = [
    "Arg",
    "Button",
    "Capabilities",
    "Command",
    "CommandContext",
    "CommandGroup",
    "Content",
    "Fields",
    "Form",
    "FormField",
    "Mention",
    "Message",
    "MessageRef",
    "Option",
    "Permission",
    "Room",
    "Text",
    "ThreadRef",
    "User",
    "UserError",
    "__version__",
    "hookimpl",
]

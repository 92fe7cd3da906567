// weightio's log messages name files, tensors and keys exactly as they are;
// on the tool's stderr they go through printable() like every other message.
#pragma once

namespace wcli {

// Wraps each sink of weightio's logger so that messages arrive escaped. Call
// once at start-up, before anything logs.
void escape_library_log_messages();

} // namespace wcli

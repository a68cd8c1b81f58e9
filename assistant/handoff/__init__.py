"""The hand-off: what a case asks for, its summary, priority, expected wait and the replies
that go with it."""

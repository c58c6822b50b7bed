"""The Subscription root fields: each checks what it names, then follows its stream."""

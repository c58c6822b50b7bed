"""The live side: subscription resolvers and the event bus around `broadcaster`."""

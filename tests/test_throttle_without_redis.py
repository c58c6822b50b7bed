"""With Redis out of reach, the sign-in limits still hold: each instance counts alone."""

from __future__ import annotations

import socket

import pytest

from config.settings import Settings
from graph.throttle import SignInThrottle, Throttled


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_guesses_are_counted_in_process_while_redis_is_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        broadcast_url=f"redis://127.0.0.1:{closed_port()}/0",
        sign_in_failures_per_email=3,
        sign_in_failures_per_address=100,
    )
    throttle = SignInThrottle(settings)
    try:
        for _ in range(3):
            await throttle.reserve_guess("Someone@Example.se", "10.0.0.1")
        with pytest.raises(Throttled) as throttled:
            await throttle.reserve_guess(" someone@example.se", "10.0.0.1")
        assert 0 < throttled.value.retry_after <= settings.sign_in_window_seconds
        assert "counting in this process" in caplog.text

        # A right password clears the e-mail's count here too, and a released place is free.
        other = await throttle.reserve_guess("other@example.se", "10.0.0.2")
        await throttle.succeeded("other@example.se", other)
        for _ in range(2):
            await throttle.reserve_guess("other@example.se", "10.0.0.2")
        third = await throttle.reserve_guess("other@example.se", "10.0.0.2")
        with pytest.raises(Throttled):
            await throttle.reserve_guess("other@example.se", "10.0.0.2")
        await throttle.release(third)
        await throttle.reserve_guess("other@example.se", "10.0.0.2")
    finally:
        await throttle.close()

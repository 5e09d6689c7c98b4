"""How the Slack stand-in behaves during a bench: its answer latency and a window of
429/500 answers (the options both `bench.paging_latency` and `bench.escalation_lateness`
take), and the lines the reports print about them."""

from __future__ import annotations

import argparse
import dataclasses

from bot.demo.slack_standin import FaultWindow, SlackStandIn, channel_posts, direct_messages

DEFAULT_LATENCY = 0.15  # seconds: a realistic Slack answer time (real Slack: 100-300 ms)
AIMS = {"all": None, "channels": channel_posts, "dms": direct_messages}

OPTIONS_HELP = """\
Slack's behaviour (the stand-in's): every Web API call answers after --slack-latency
seconds (default 0.15; 0 answers at once). --fault-mix opens a window of errors:
'429=0.3,500=0.15' answers 30% of the matching calls 429 (with Retry-After
--retry-after, default 1 s) and 15% 500, for --fault-seconds (default 30) from
--fault-start seconds after the timed part begins (default 0). --fault-to aims it
at channel posts ('channels': calls whose channel is C.../G...), at DMs ('dms': a user
id or a D... channel) or at every call ('all', the default); --fault-methods limits it
to some Web API methods (default: any). '429=1 --fault-seconds 45' is the 100% storm.
"""


def fault_mix(text: str) -> tuple[float, float]:
    """'429=0.3,500=0.15' -> (0.3, 0.15); an argparse type, so bad input is an
    argparse error that says what was wrong."""
    shares = {"429": 0.0, "500": 0.0}
    for part in filter(None, (p.strip() for p in text.split(","))):
        status, sep, value = part.partition("=")
        if not sep or status.strip() not in shares:
            raise argparse.ArgumentTypeError(
                f"{part!r}: write each part as 429=<share> or 500=<share>, e.g. 429=0.3,500=0.15")
        try:
            share = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: the share must be a number") from None
        if not 0 <= share <= 1:
            raise argparse.ArgumentTypeError(f"{part!r}: the share must be between 0 and 1")
        shares[status.strip()] = share
    if shares["429"] + shares["500"] > 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the shares add up to more than 1")
    return shares["429"], shares["500"]


def add_options(ap: argparse.ArgumentParser) -> None:
    group = ap.add_argument_group("Slack (the stand-in)", OPTIONS_HELP)
    group.add_argument("--slack-latency", type=float, default=DEFAULT_LATENCY,
                       metavar="SECONDS",
                       help=f"every Web API call answers after this long "
                            f"(default {DEFAULT_LATENCY:g})")
    group.add_argument("--fault-mix", type=fault_mix, default=(0.0, 0.0), metavar="MIX",
                       help="share of matching calls answered 429 and 500, e.g. "
                            "429=0.3,500=0.15 (default: none)")
    group.add_argument("--fault-seconds", type=float, default=30,
                       help="how long the fault window lasts (default 30)")
    group.add_argument("--fault-start", type=float, default=0,
                       help="seconds into the timed part when the window opens (default 0)")
    group.add_argument("--fault-to", choices=tuple(AIMS), default="all",
                       help="which calls the window hits (default all)")
    group.add_argument("--fault-methods", default="*", metavar="LIST",
                       help="comma-separated Web API methods the window hits (default *: any)")
    group.add_argument("--retry-after", type=int, default=1,
                       help="Retry-After of the 429 answers, whole seconds (default 1)")


@dataclasses.dataclass(frozen=True)
class SlackConditions:
    latency: float
    ratelimited: float
    server_error: float
    seconds: float
    start: float
    aim: str
    methods: tuple[str, ...]
    retry_after: int

    @classmethod
    def from_args(cls, ap: argparse.ArgumentParser, args: argparse.Namespace
                  ) -> SlackConditions:
        """The options, checked (a bad value ends the run with argparse's message)."""
        if not args.slack_latency >= 0:
            ap.error("--slack-latency: give a number of seconds >= 0")
        if args.fault_seconds <= 0 or args.fault_start < 0:
            ap.error("--fault-seconds must be > 0 and --fault-start >= 0")
        if args.retry_after < 0:
            ap.error("--retry-after must be a whole number of seconds >= 0")
        methods = tuple(m.strip() for m in args.fault_methods.split(",") if m.strip())
        ratelimited, server_error = args.fault_mix
        return cls(args.slack_latency, ratelimited, server_error, args.fault_seconds,
                   args.fault_start, args.fault_to, methods or ("*",), args.retry_after)

    @property
    def faulty(self) -> bool:
        return self.ratelimited + self.server_error > 0

    @property
    def ratelimits_channels_only(self) -> bool:
        """Only channel posts are refused (the issue's 2 s lateness target)."""
        return self.faulty and self.aim == "channels" and self.server_error == 0

    def open_window(self, standin: SlackStandIn, seed: int,
                    starts_in: float = 0.0) -> FaultWindow | None:
        """Open the fault window (if any) `starts_in + start` seconds from now."""
        if not self.faulty:
            return None
        return standin.fault_window(
            self.seconds, ratelimited=self.ratelimited, server_error=self.server_error,
            retry_after=self.retry_after, methods=self.methods, where=AIMS[self.aim],
            seed=seed, starts_in=starts_in + self.start)

    def describe(self) -> str:
        text = f"Slack answers in {self.latency * 1000:.0f} ms"
        if not self.faulty:
            return text + ", no fault window"
        mix = " + ".join(f"{share:.0%} {status}" for status, share in
                         (("429", self.ratelimited), ("500", self.server_error)) if share)
        to = {"all": "every call", "channels": "channel posts", "dms": "DMs"}[self.aim]
        methods = "" if self.methods == ("*",) else f" ({', '.join(self.methods)})"
        return (f"{text}; fault window {mix} of {to}{methods} for {self.seconds:g} s from "
                f"{self.start:g} s in, Retry-After {self.retry_after} s")


def window_line(window: FaultWindow | None) -> str:
    if window is None:
        return "-"
    return (f"{window.matched} calls matched: {window.ratelimited_calls} answered 429, "
            f"{window.server_error_calls} answered 500")

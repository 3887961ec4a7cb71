"""`wire` sub-commands of story clusters (`wire stories …`)."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add this module's sub-commands to the `wire` parser."""

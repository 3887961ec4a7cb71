"""`wire` sub-commands of the classification model (`wire reclassify`, `wire classify train`)."""

import argparse


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add this module's sub-commands to the `wire` parser."""

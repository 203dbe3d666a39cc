"""``python -m qicsim``: the same command as the installed ``qicsim`` script."""

from qicsim.cli import console

if __name__ == "__main__":
    console()

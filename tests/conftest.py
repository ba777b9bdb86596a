"""Shared test setup: luk speaks English in the tests, whatever the machine's locale, unless
a test asks for another language (``--lang``, ``lang=``, or its own environment)."""

import os

os.environ["LANGUAGE"] = "en"

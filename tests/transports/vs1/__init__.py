"""Tests of the VS-1 transport (transports/vs1)."""

"""Language detection for emergency requests: `detector` (cleaning and scoring) over the
model tables that `tables` builds once per machine and memory-maps."""

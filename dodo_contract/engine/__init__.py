"""The contract engine: plan, send, judge and shrink (``check_implementation``), and the data of a run."""

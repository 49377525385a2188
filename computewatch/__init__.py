"""computewatch: what the news says about AI infrastructure spending, as a database of claims."""
__version__ = "0.1.0"

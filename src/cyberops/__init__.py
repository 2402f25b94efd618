"""cyberops: news about cyber operations in, evidence-backed records out."""

__version__ = "0.1.0"

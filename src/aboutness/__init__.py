"""aboutness: is a web document about a knowledge-base entity, or does it only mention it?"""

__version__ = "0.1.0"

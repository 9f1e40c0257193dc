"""The ops console's views: pure models and rules of what operations staff see."""

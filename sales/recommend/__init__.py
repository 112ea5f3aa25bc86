"""Next best product: which products to offer a customer, from the whole company's purchase history.

``model`` is the numpy maths, ``data`` loads the aggregates, ``store`` writes and reads the stored
model, ``reasons`` words each suggestion and ``evaluate`` measures it against a popularity baseline.
"""

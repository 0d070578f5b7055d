"""Where documents go next: loaders, readers, DataFrames and Ray, each an optional extra.

- ``leapocr_sdk.integrations.langchain``: ``LeapOCRLoader``, a LangChain document loader
  (``pip install 'leapocr-sdk[langchain]'``).
- ``leapocr_sdk.integrations.llamaindex``: ``LeapOCRReader``, a LlamaIndex reader
  (``pip install 'leapocr-sdk[llamaindex]'``).
- ``leapocr_sdk.integrations.pandas``: ``to_dataframe``, one row per document
  (``pip install 'leapocr-sdk[pandas]'``; ``JobResult.to_pandas()`` gives one row per page).
- ``leapocr_sdk.integrations.ray``: ``LeapOCRMapper``, for ``ray.data``'s ``map_batches``
  (``pip install 'leapocr-sdk[ray]'``).

This package imports none of them: each module loads its framework when it is imported,
and says which extra to install when the framework is missing. ``import leapocr_sdk``
never loads any of them.
"""

"""Frontend plug-ins shipped with tgraph, one package per framework (see ``tgraph.protocol``)."""

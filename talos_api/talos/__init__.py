"""Talos block resource specs (package ``talos.resource.definitions.block``), generated code.

    from talos_api.talos import block_pb2
    spec = block_pb2.DiskSpec(model="Portable SSD T5", transport="usb")
"""

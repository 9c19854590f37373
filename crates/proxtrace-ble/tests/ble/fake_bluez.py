#!/usr/bin/python3
"""Drive python3-dbusmock's bluez5 template on the bus in DBUS_SYSTEM_BUS_ADDRESS.

  fake_bluez.py setup             add adapter hci0 and an LEAdvertisingManager1 on it
  fake_bluez.py inject GAEN BZ    add two advertising devices (hex payloads) and announce them
  fake_bluez.py adverts           print the data of every registered advertisement, one JSON line each

dbusmock quirks handled here: devices are added with AddObject and InterfacesAdded is emitted
by hand; dict-typed properties are built as dbus.Dictionary with explicit signatures; the
advertising manager is added with AddMethods.
"""
import json
import sys

import dbus

bus = dbus.SystemBus()
ADAPTER = "/org/bluez/hci0"
GAEN_UUID = "0000fd6f-0000-1000-8000-00805f9b34fb"


def mock(path):
    return dbus.Interface(bus.get_object("org.bluez", path), "org.freedesktop.DBus.Mock")


def setup():
    bluez = dbus.Interface(bus.get_object("org.bluez", "/org/bluez"), "org.bluez.Mock")
    bluez.AddAdapter("hci0", "laptop")
    code = "self.adverts = getattr(self, 'adverts', []); self.adverts.append(args[0])"
    mock(ADAPTER).AddMethods(
        "org.bluez.LEAdvertisingManager1",
        [
            ("RegisterAdvertisement", "oa{sv}", "", code),
            ("UnregisterAdvertisement", "o", "", ""),
        ],
    )
    mock(ADAPTER).AddProperties(
        "org.bluez.LEAdvertisingManager1",
        {"ActiveInstances": dbus.Byte(0), "SupportedInstances": dbus.Byte(4)},
    )


def add_device(n, rssi, service_data=None, manufacturer_data=None):
    addr = "AA:BB:CC:DD:EE:%02X" % n
    path = ADAPTER + "/dev_" + addr.replace(":", "_")
    props = {
        "Address": dbus.String(addr),
        "AddressType": dbus.String("random"),
        "Alias": dbus.String(addr),
        "Adapter": dbus.ObjectPath(ADAPTER),
        "Paired": dbus.Boolean(False),
        "Connected": dbus.Boolean(False),
        "Trusted": dbus.Boolean(False),
        "Blocked": dbus.Boolean(False),
        "LegacyPairing": dbus.Boolean(False),
        "ServicesResolved": dbus.Boolean(False),
        "RSSI": dbus.Int16(rssi),
        "UUIDs": dbus.Array([], signature="s"),
        "ServiceData": dbus.Dictionary({}, signature="sv"),
        "ManufacturerData": dbus.Dictionary({}, signature="qv"),
    }
    if service_data:
        props["UUIDs"] = dbus.Array([GAEN_UUID], signature="s")
        props["ServiceData"] = dbus.Dictionary(
            {GAEN_UUID: dbus.Array(bytes.fromhex(service_data), signature="y")}, signature="sv"
        )
    if manufacturer_data:
        props["ManufacturerData"] = dbus.Dictionary(
            {dbus.UInt16(0x22B5): dbus.Array(bytes.fromhex(manufacturer_data), signature="y")},
            signature="qv",
        )
    root = mock("/")
    root.AddObject(path, "org.bluez.Device1", props, [])
    root.EmitSignal(
        "org.freedesktop.DBus.ObjectManager",
        "InterfacesAdded",
        "oa{sa{sv}}",
        dbus.Array(
            [
                dbus.ObjectPath(path),
                dbus.Dictionary({"org.bluez.Device1": dbus.Dictionary(props, signature="sv")}, signature="sa{sv}"),
            ],
            signature="v",
        ),
    )


def adverts():
    calls = mock(ADAPTER).GetMethodCalls("RegisterAdvertisement")
    paths = [str(args[0]) for _, args in calls]
    dbus_iface = dbus.Interface(bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus")
    for path in paths:
        for name in dbus_iface.ListNames():
            if not name.startswith(":") or name == bus.get_unique_name():
                continue
            try:
                props = dbus.Interface(bus.get_object(name, path, introspect=False), "org.freedesktop.DBus.Properties")
                p = props.GetAll("org.bluez.LEAdvertisement1", timeout=2)
            except dbus.DBusException:
                continue
            out = {
                "path": path,
                "type": str(p.get("Type", "")),
                "service_data": {str(k): bytes(v).hex() for k, v in p.get("ServiceData", {}).items()},
                "manufacturer_data": {str(int(k)): bytes(v).hex() for k, v in p.get("ManufacturerData", {}).items()},
            }
            print(json.dumps(out))
            break
    print(json.dumps({"registered": len(paths)}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "setup":
        setup()
    elif cmd == "inject":
        add_device(1, -61, service_data=sys.argv[2])
        add_device(2, -72, manufacturer_data=sys.argv[3])
    elif cmd == "adverts":
        adverts()
    else:
        sys.exit("unknown command " + cmd)

#!/usr/bin/python3
"""Drive python3-dbusmock's bluez5 template on the bus in DBUS_SYSTEM_BUS_ADDRESS.

  fake_bluez.py setup             add adapter hci0 and an LEAdvertisingManager1 on it
  fake_bluez.py inject GAEN BZ    add two advertising devices (hex payloads) and announce them
  fake_bluez.py adverts           print the data of every registered advertisement, one JSON line each
  fake_bluez.py inject-ios ID     add a Bluezone iOS phone (device 3) serving ID (hex) over GATT, and
                                  one (device 4) whose connection never resolves its services
  fake_bluez.py rssi N DBM        a new RSSI for device N (PropertiesChanged)
  fake_bluez.py inject-gaen N HEX add GAEN phone N advertising HEX
  fake_bluez.py calls N           how often device N was connected and its characteristic read (JSON)
  fake_bluez.py gatt-read OFFSET  as BlueZ for a remote iPhone: read the registered GATT application's
                                  Bluezone identifier characteristic at OFFSET (JSON)

dbusmock quirks handled here: devices are added with AddObject and InterfacesAdded is emitted
by hand; dict-typed properties are built as dbus.Dictionary with explicit signatures; the
advertising manager and the GATT manager are added with AddMethods; GATT objects of remote
devices are added under the device path (btleplug finds them by introspection), with ReadValue
as a mocked method; Connect sets Connected and ServicesResolved and emits PropertiesChanged.
"""
import json
import sys

import dbus

bus = dbus.SystemBus()
ADAPTER = "/org/bluez/hci0"
GAEN_UUID = "0000fd6f-0000-1000-8000-00805f9b34fb"
IOS_SERVICE = "00004e56-73f5-4bc4-a12f-17d1ad07a667"
IOS_ID = "00004e56-73f5-4bc4-a12f-17d1ad07a689"
DEVICE1 = "org.bluez.Device1"


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
    gatt = "self.apps = getattr(self, 'apps', []); self.apps.append(args[0])"
    mock(ADAPTER).AddMethods(
        "org.bluez.GattManager1",
        [
            ("RegisterApplication", "oa{sv}", "", gatt),
            ("UnregisterApplication", "o", "", ""),
        ],
    )
    mock(ADAPTER).AddProperties(
        "org.bluez.LEAdvertisingManager1",
        {"ActiveInstances": dbus.Byte(0), "SupportedInstances": dbus.Byte(4)},
    )


def device_path(n):
    return ADAPTER + "/dev_" + ("AA:BB:CC:DD:EE:%02X" % n).replace(":", "_")


def add_device(n, rssi, service_data=None, manufacturer_data=None, uuids=None, methods=None):
    addr = "AA:BB:CC:DD:EE:%02X" % n
    path = device_path(n)
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
    if uuids:
        props["UUIDs"] = dbus.Array(uuids, signature="s")
    root = mock("/")
    root.AddObject(path, DEVICE1, props, methods or [])
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
                "service_uuids": sorted(str(u) for u in p.get("ServiceUUIDs", [])),
                "service_data": {str(k): bytes(v).hex() for k, v in p.get("ServiceData", {}).items()},
                "manufacturer_data": {str(int(k)): bytes(v).hex() for k, v in p.get("ManufacturerData", {}).items()},
            }
            print(json.dumps(out))
            break
    print(json.dumps({"registered": len(paths)}))


def add_ios_device(n, rssi, id_hex, resolves=True):
    """A Bluezone iOS phone: its service UUID only; the ID behind a GATT characteristic."""
    up = "self.UpdateProperties('%s', {'Connected': dbus.Boolean(True), 'ServicesResolved': dbus.Boolean(True)})" % DEVICE1
    down = "self.UpdateProperties('%s', {'Connected': dbus.Boolean(False), 'ServicesResolved': dbus.Boolean(False)})" % DEVICE1
    methods = [
        ("Connect", "", "", up if resolves else "self.connects = getattr(self, 'connects', 0) + 1"),
        ("Disconnect", "", "", down),
    ]
    add_device(n, rssi, uuids=[IOS_SERVICE], methods=methods)
    dev = device_path(n)
    service = dev + "/service0010"
    root = mock("/")
    root.AddObject(
        service,
        "org.bluez.GattService1",
        {"UUID": dbus.String(IOS_SERVICE), "Primary": dbus.Boolean(True), "Device": dbus.ObjectPath(dev)},
        # dbusmock lists an interface without methods after the child <node>s, which the
        # introspection parser under btleplug rejects; a placeholder method keeps it in front.
        [("Placeholder", "", "", "")],
    )
    value = ", ".join("dbus.Byte(%d)" % b for b in bytes.fromhex(id_hex))
    root.AddObject(
        service + "/char0011",
        "org.bluez.GattCharacteristic1",
        {
            "UUID": dbus.String(IOS_ID),
            "Service": dbus.ObjectPath(service),
            "Flags": dbus.Array(["read"], signature="s"),
        },
        [("ReadValue", "a{sv}", "ay", "ret = dbus.Array([%s], signature='y')" % value)],
    )


def calls(n):
    dev = device_path(n)
    connects = len(mock(dev).GetMethodCalls("Connect"))
    try:
        reads = len(mock(dev + "/service0010/char0011").GetMethodCalls("ReadValue"))
    except dbus.DBusException:
        reads = 0
    print(json.dumps({"connect": connects, "read": reads}))


def gatt_read(offset):
    """What BlueZ does when a remote iPhone reads the laptop's characteristic."""
    apps = [str(args[0]) for _, args in mock(ADAPTER).GetMethodCalls("RegisterApplication")]
    dbus_iface = dbus.Interface(bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus")
    for path in apps:
        for name in dbus_iface.ListNames():
            if not name.startswith(":") or name == bus.get_unique_name():
                continue
            try:
                om = dbus.Interface(bus.get_object(name, path, introspect=False), "org.freedesktop.DBus.ObjectManager")
                objects = om.GetManagedObjects(timeout=2)
            except dbus.DBusException:
                continue
            services = sorted(str(p["org.bluez.GattService1"]["UUID"]) for p in objects.values() if "org.bluez.GattService1" in p)
            out = {"app": path, "services": services, "value": None}
            for opath, p in objects.items():
                c = p.get("org.bluez.GattCharacteristic1")
                if c is None or str(c["UUID"]).lower() != IOS_ID:
                    continue
                out["flags"] = [str(f) for f in c.get("Flags", [])]
                ch = dbus.Interface(bus.get_object(name, opath, introspect=False), "org.bluez.GattCharacteristic1")
                options = dbus.Dictionary(
                    {
                        "device": dbus.ObjectPath(ADAPTER + "/dev_11_22_33_44_55_66"),
                        "mtu": dbus.UInt16(185),
                        "offset": dbus.UInt16(offset),
                        "link": dbus.String("LE"),
                    },
                    signature="sv",
                )
                try:
                    out["value"] = bytes(ch.ReadValue(options, timeout=5)).hex()
                except dbus.DBusException as e:
                    out["error"] = e.get_dbus_name()
            print(json.dumps(out))
            return
    print(json.dumps({"app": None}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "setup":
        setup()
    elif cmd == "inject":
        add_device(1, -61, service_data=sys.argv[2])
        add_device(2, -72, manufacturer_data=sys.argv[3])
    elif cmd == "adverts":
        adverts()
    elif cmd == "inject-ios":
        add_ios_device(3, -65, sys.argv[2])
        add_ios_device(4, -70, "00" * 12, resolves=False)
    elif cmd == "rssi":
        mock(device_path(int(sys.argv[2]))).UpdateProperties(DEVICE1, {"RSSI": dbus.Int16(int(sys.argv[3]))})
    elif cmd == "inject-gaen":
        add_device(int(sys.argv[2]), -58, service_data=sys.argv[3])
    elif cmd == "calls":
        calls(int(sys.argv[2]))
    elif cmd == "gatt-read":
        gatt_read(int(sys.argv[2]))
    else:
        sys.exit("unknown command " + cmd)

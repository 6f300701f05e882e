"""GLPI agent / FusionInventory specifics: the agent's XML format read into the JSON inventory
shape, and the few facts the declarative mapping cannot compute from one field.

The JSON inventory format (glpi-project/inventory_format) is the XML format's successor: the same
sections with lower-case names. `xml_documents` turns a `<REQUEST>` into that shape, so one
mapping (mappings/glpi.yaml) reads both. `prepare` then adds a `derived` block to each inventory:

- `observed_at`: `accesslog.logdate` written in the agent's local time, turned into ISO 8601 with
  the inventory's UTC offset (`operatingsystem.timezone.offset`, e.g. `+0200`); without one, the
  mapping's declared default time zone (an IANA name, so daylight saving is applied).
- `cores` / `sockets`: the sum of `cpus[].core` / the number of `cpus` entries (GLPI lists one
  entry per physical processor).
- `firmware`: the device firmware (network devices and printers), else the BIOS version.
- `device_type`: the itemtype (a Computer when absent: older agents); `chassis_type`: the
  hardware chassis, else the network device's type.
- `hostname`: from the deviceid (`<name>-YYYY-MM-DD-HH-MM-SS`) for inventories that carry no
  name (partial inventories may carry only what changed).
- `host_id`: the identity VMs point at (serial, else hostname); `virtualmachines[].vm_id`: the
  VM's uuid, else `<host_id>/<name>` (container names repeat across hosts).
- `software_count` / `vm_count`: how many items those sections list, absent when the inventory
  does not carry the section at all, so a partial inventory is not read as "all removed".
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# XML sections whose JSON counterpart is a single object; every other CONTENT section is a list.
_SINGLE = {"accesslog", "bios", "hardware", "operatingsystem", "versionclient", "versionprovider",
           "network_device", "accountinfo", "moduleversion", "processnumber"}
# NETINVENTORY / SNMPQUERY: CONTENT/DEVICE/<X> → content.<json name>
_DEVICE_SECTIONS = {"info": "network_device", "ports": "network_ports",
                    "components": "network_components", "firmwares": "firmwares",
                    "modems": "modems", "simcards": "simcards", "cartridges": "cartridges",
                    "pagecounters": "pagecounters"}
# XML child names that wrap a list of one kind of element (<PORTS><PORT/>...</PORTS>)
_WRAPPED = {"ports": "port", "components": "component", "ips": "ip", "databases": "database",
            "connections": "connection", "vlans": "vlan", "aggregate": "port"}
# INFO/TYPE of a network inventory → itemtype (the JSON format's words)
_NET_ITEMTYPES = {"networking": "NetworkEquipment", "switch": "NetworkEquipment",
                  "router": "NetworkEquipment", "firewall": "NetworkEquipment",
                  "printer": "Printer", "computer": "Computer", "phone": "Phone",
                  "storage": "Unmanaged", "power": "Unmanaged"}
# Keys the JSON format renamed (section → {xml name: json name}); glpi-inventory's converter.
_RENAMED = {"softwares": {"installdate": "install_date", "filesize": "filesize"},
            "networks": {"macaddr": "mac"}}
_QUERY_ACTIONS = {"inventory": "inventory", "snmpquery": "netinventory",
                  "netdiscovery": "netdiscovery"}
_DEVICEID_STAMP = re.compile(r"-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


class GlpiProblem(ValueError):
    """The document is not a GLPI inventory (message says why)."""


# ---------------------------------------------------------------------------------------------
# XML → JSON inventory shape
# ---------------------------------------------------------------------------------------------

def _element(e: ET.Element) -> Any:
    children = list(e)
    if not children:
        return (e.text or "").strip()
    out: dict[str, Any] = {}
    for c in children:
        key = c.tag.lower()
        val = _element(c)
        if key in _WRAPPED and isinstance(val, dict):
            inner = val.get(_WRAPPED[key])
            val = [] if inner is None else (inner if isinstance(inner, list) else [inner])
        if key in out:
            if not isinstance(out[key], list) or key in _WRAPPED:
                out[key] = [out[key]]
            out[key].append(val)
        else:
            out[key] = val
    return out


def _as_list(v: Any) -> list:
    if v is None or v == "":
        return []
    return v if isinstance(v, list) else [v]


def _content(content: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in content:
        key = c.tag.lower()
        if key == "device":
            continue
        val = _element(c)
        if isinstance(val, dict) and key in _RENAMED:
            val = {_RENAMED[key].get(k, k): v for k, v in val.items()}
        if key in _SINGLE:
            out[key] = val if key not in out else out[key]
        else:
            out.setdefault(key, []).append(val)
    return out


def xml_documents(text: str) -> list[dict[str, Any]]:
    """One JSON-shaped inventory per device of a FusionInventory/GLPI agent XML `<REQUEST>`."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise GlpiProblem(f"is not well-formed XML ({exc})")
    if root.tag.upper() != "REQUEST":
        raise GlpiProblem(f"has root element <{root.tag}>, not the agent's <REQUEST>")
    deviceid = (root.findtext("DEVICEID") or "").strip()
    query = (root.findtext("QUERY") or "").strip().lower()
    content = root.find("CONTENT")
    if content is None:
        raise GlpiProblem("has no <CONTENT> element")
    base = _content(content)
    devices = content.findall("DEVICE")
    if not devices:
        doc: dict[str, Any] = {"deviceid": deviceid, "action": _QUERY_ACTIONS.get(query, query),
                               "content": base}
        if query == "inventory":
            doc["itemtype"] = "Computer"
        return [doc]
    docs = []
    for dev in devices:
        content_of = dict(base)
        info = None
        for c in dev:
            key = c.tag.lower()
            val = _element(c)
            name = _DEVICE_SECTIONS.get(key, key)
            if key == "info":
                info = val if isinstance(val, dict) else {}
                if isinstance(info.get("ips"), (str, dict)):
                    info["ips"] = [i for i in _as_list(info["ips"]) if i]
                content_of[name] = info
            elif key in _WRAPPED:
                if isinstance(val, dict):
                    val = val.get(_WRAPPED[key])
                content_of[name] = _as_list(val)
            else:
                content_of.setdefault(name, []).append(val)
        if info is None:  # NETDISCOVERY: the device's fields sit directly under DEVICE
            flat = {k: v for k, v in _element(dev).items() if not isinstance(v, (dict, list))} \
                if list(dev) else {}
            info = {"name": flat.get("snmphostname") or flat.get("dnshostname") or flat.get("netbiosname"),
                    "serial": flat.get("serial"), "mac": flat.get("mac"),
                    "ips": [flat["ip"]] if flat.get("ip") else [],
                    "manufacturer": flat.get("manufacturer"), "model": flat.get("model"),
                    "type": flat.get("type"), "firmware": flat.get("firmware")}
            content_of["network_device"] = {k: v for k, v in info.items() if v}
        itemtype = _NET_ITEMTYPES.get(str(info.get("type") or "").strip().lower(), "Unmanaged")
        docs.append({"deviceid": deviceid, "action": _QUERY_ACTIONS.get(query, query),
                     "itemtype": itemtype, "content": content_of})
    return docs


# ---------------------------------------------------------------------------------------------
# Derived facts
# ---------------------------------------------------------------------------------------------

def _zone(default_timezone: str):
    try:
        return ZoneInfo(default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise GlpiProblem(f"default time zone '{default_timezone}' is not an IANA time zone name "
                          "(e.g. UTC, Europe/Paris)")


def local_to_iso(logdate: str, offset: str | None, default_timezone: str) -> str | None:
    """'YYYY-MM-DD HH:MM:SS' in agent local time → ISO 8601 with its UTC offset. The inventory's
    own offset wins; else the declared default zone. None when the text is not such a time."""
    try:
        naive = datetime.strptime(logdate.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    m = _OFFSET.match((offset or "").strip())
    if m:
        sign = 1 if m.group(1) == "+" else -1
        tz = timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
        return naive.replace(tzinfo=tz).isoformat()
    return naive.replace(tzinfo=_zone(default_timezone)).isoformat()


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?)?\s*$", re.I)
_MB_PER = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}


def megabytes(v: Any) -> int | None:
    """A size in MB: a bare number is MB (the format's unit); '4194MB', '4 GB' are converted."""
    m = _SIZE.match(_text(v))
    if not m:
        return None
    unit = (m.group(2) or "m")[0].lower()
    return round(float(m.group(1)) * _MB_PER[unit])


def _int(v: Any) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def _text(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ("" if v is None or isinstance(v, (dict, list)) else str(v))


def prepare(doc: Any, default_timezone: str = "UTC") -> dict[str, Any]:
    """The inventory with a `derived` block (see the module docstring)."""
    if not isinstance(doc, dict):
        return doc
    content = doc.get("content") if isinstance(doc.get("content"), dict) else {}
    hw = content.get("hardware") if isinstance(content.get("hardware"), dict) else {}
    os_ = content.get("operatingsystem") if isinstance(content.get("operatingsystem"), dict) else {}
    bios = content.get("bios") if isinstance(content.get("bios"), dict) else {}
    net = content.get("network_device") if isinstance(content.get("network_device"), dict) else {}
    access = content.get("accesslog") if isinstance(content.get("accesslog"), dict) else {}
    tz = os_.get("timezone") if isinstance(os_.get("timezone"), dict) else {}

    d: dict[str, Any] = {}
    logdate = _text(access.get("logdate"))
    if logdate:
        d["observed_at"] = local_to_iso(logdate, _text(tz.get("offset")), default_timezone) or logdate
    cpus = [c for c in _as_list(content.get("cpus")) if isinstance(c, dict)]
    if cpus:
        d["sockets"] = len(cpus)
        cores = [_int(c.get("core")) for c in cpus]
        if any(c for c in cores):
            d["cores"] = sum(c or 0 for c in cores)
    fw = _text(net.get("firmware"))
    if not fw:
        fw = next((_text(f.get("version")) for f in _as_list(content.get("firmwares"))
                   if isinstance(f, dict) and _text(f.get("version"))
                   and _text(f.get("type")).lower() in ("", "device")), "")
    d["firmware"] = fw or _text(bios.get("bversion"))
    d["device_type"] = _text(doc.get("itemtype")) or "Computer"
    d["chassis_type"] = _text(hw.get("chassis_type")) or _text(net.get("type"))
    deviceid = _text(doc.get("deviceid"))
    d["hostname"] = _text(hw.get("name")) or _text(net.get("name")) or _DEVICEID_STAMP.sub("", deviceid)
    d["memory_mb"] = _int(hw.get("memory")) or _int(net.get("ram"))
    d["partial"] = "true" if str(doc.get("partial", "")).strip().lower() in ("true", "1") else "false"
    if "softwares" in content:
        d["software_count"] = len(_as_list(content["softwares"]))
    if "virtualmachines" in content:
        d["vm_count"] = len(_as_list(content["virtualmachines"]))
    serial = _text(bios.get("ssn")) or _text(net.get("serial"))
    d["host_id"] = serial or d["hostname"]
    for vm in _as_list(content.get("virtualmachines")):
        if isinstance(vm, dict):
            vm["vm_id"] = _text(vm.get("uuid")) or f"{d['host_id']}/{_text(vm.get('name'))}"
            vm["memory_mb"] = megabytes(vm.get("memory"))
    # The XML format writes booleans as 1/0; the JSON format (and the mapping) as true/false.
    for n in _as_list(content.get("networks")):
        if isinstance(n, dict) and _text(n.get("virtualdev")) in ("0", "1"):
            n["virtualdev"] = _text(n["virtualdev"]) == "1"
    doc["derived"] = {k: v for k, v in d.items() if v not in (None, "")}
    return doc

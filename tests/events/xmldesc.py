"""A small description with two event ports (ExposureEnd 0x9001, FrameEnd 0x9002 with
EventData) and EventSelector/EventNotification registers on the Device port."""

from __future__ import annotations

EXPOSURE_END = 0x9001
FRAME_END = 0x9002


def _int(name: str, port: str, address: int, length: int) -> str:
    return (f'<Integer Name="{name}"><pValue>{name}Reg</pValue></Integer>'
            f'<IntReg Name="{name}Reg"><Address>0x{address:X}</Address><Length>{length}</Length>'
            f'<AccessMode>RO</AccessMode><pPort>{port}</pPort><Cachable>NoCache</Cachable>'
            f'<Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>')


FEATURES = ["EventExposureEnd", "EventExposureEndTimestamp", "EventExposureEndFrameID",
            "EventFrameEnd", "EventFrameEndTimestamp", "EventFrameEndFrameID",
            "EventFrameEndExposureTime"]

XML = f'''<?xml version="1.0" encoding="utf-8"?>
<RegisterDescription ModelName="EvCam" VendorName="nodemap" ToolTip="events" StandardNameSpace="None"
 SchemaMajorVersion="1" SchemaMinorVersion="1" SchemaSubMinorVersion="0" MajorVersion="1"
 MinorVersion="0" SubMinorVersion="0" ProductGuid="12345678-1234-1234-1234-123456789012"
 VersionGuid="12345678-1234-1234-1234-123456789013"
 xmlns="http://www.genicam.org/GenApi/Version_1_1"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.genicam.org/GenApi/Version_1_1 http://www.genicam.org/GenApi/GenApiSchema_Version_1_1.xsd">
<Category Name="Root"><pFeature>EventControl</pFeature></Category>
<Category Name="EventControl"><pFeature>EventSelector</pFeature><pFeature>EventNotification</pFeature>
{"".join(f"<pFeature>{f}</pFeature>" for f in FEATURES)}</Category>
<Enumeration Name="EventSelector">
 <EnumEntry Name="ExposureEnd"><Value>0</Value></EnumEntry>
 <EnumEntry Name="FrameEnd"><Value>1</Value></EnumEntry>
 <pValue>EventSelectorReg</pValue></Enumeration>
<IntReg Name="EventSelectorReg"><Address>0x1000</Address><Length>4</Length><AccessMode>RW</AccessMode>
 <pPort>Device</pPort><Cachable>NoCache</Cachable><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
<Enumeration Name="EventNotification">
 <EnumEntry Name="Off"><Value>0</Value></EnumEntry>
 <EnumEntry Name="On"><Value>1</Value></EnumEntry>
 <pValue>EventNotificationReg</pValue></Enumeration>
<IntReg Name="EventNotificationReg"><Address>0x1004</Address><Length>4</Length><AccessMode>RW</AccessMode>
 <pPort>Device</pPort><Cachable>NoCache</Cachable><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
{_int("EventExposureEnd", "EventExposureEndPort", 2, 2)}
{_int("EventExposureEndTimestamp", "EventExposureEndPort", 8, 8)}
{_int("EventExposureEndFrameID", "EventExposureEndPort", 6, 2)}
{_int("EventFrameEnd", "EventFrameEndPort", 2, 2)}
{_int("EventFrameEndTimestamp", "EventFrameEndPort", 8, 8)}
{_int("EventFrameEndFrameID", "EventFrameEndPort", 6, 2)}
{_int("EventFrameEndExposureTime", "EventFrameEndPort", 16, 4)}
<Port Name="EventExposureEndPort"><EventID>{EXPOSURE_END:X}</EventID></Port>
<Port Name="EventFrameEndPort"><EventID>{FRAME_END:X}</EventID></Port>
<Port Name="Device"/>
</RegisterDescription>'''

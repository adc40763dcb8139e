"""Texts of a contractor's list narrowed: rework only, overdue only, one building."""

ZH: dict[str, str] = {
    # buttons (short: a WeCom button shows about 10 characters)
    "mylist.only_rework": "返修 {n}",
    "mylist.only_overdue": "逾期 {n}",
    "mylist.all": "全部 {n}",
    "mylist.buildings": "按楼栋",
    "mylist.building_button": "{building}栋 {n}",
    # the list's header when narrowed, and the picker
    "mylist.narrowed_rework": "仅显示返修：{n} 项",
    "mylist.narrowed_overdue": "仅显示逾期：{n} 项",
    "mylist.narrowed_none": "（没有这样的问题）",
    "mylist.pick_building": "选择楼栋（共 {n} 项）：",
}

EN: dict[str, str] = {
    "mylist.only_rework": "Rework {n}",
    "mylist.only_overdue": "Overdue {n}",
    "mylist.all": "All {n}",
    "mylist.buildings": "Buildings",
    "mylist.building_button": "Bldg {building}: {n}",
    "mylist.narrowed_rework": "Rework only: {n}",
    "mylist.narrowed_overdue": "Overdue only: {n}",
    "mylist.narrowed_none": "(none)",
    "mylist.pick_building": "Choose a building ({n:1 item|{n} items}):",
}

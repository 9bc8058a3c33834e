package domain

import "time"

// Workday reports whether day (its date in Beijing time) is a working day
// by default: Monday to Friday, except the statutory holidays fixed by date
// (FixedHoliday). The lunar holidays and each year's 调休 are not known
// ahead of the State Council's yearly notice; a policy file's calendar adds
// them (coord.Calendar).
func Workday(day time.Time) bool {
	t := day.In(Shanghai)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !FixedHoliday(t)
}

// FixedHoliday reports whether day (its date in Beijing time) is one of the
// statutory holidays fixed by date in 全国年节及纪念日放假办法 (as amended in
// 2024, in force from 2025): 元旦 1 January, 劳动节 1–2 May, 国庆节 1–3
// October. Officers are off duty: no joint visit is proposed on them.
func FixedHoliday(day time.Time) bool {
	_, m, d := day.In(Shanghai).Date()
	switch m {
	case time.January:
		return d == 1
	case time.May:
		return d <= 2
	case time.October:
		return d <= 3
	}
	return false
}

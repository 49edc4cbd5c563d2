"""The calendar of closed days: Denmark's public holidays (closed unless the admin keeps one
open that year) and the institution's own closing days, which plans, surveys, the day views
and the attendance report all honour."""

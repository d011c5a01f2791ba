module tracebench

go 1.22

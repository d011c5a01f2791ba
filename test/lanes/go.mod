module lanes

go 1.22

module github.com/pyaws/cloudwatch-datasource/launcher

go 1.26

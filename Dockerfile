FROM scratch
ADD http://u:p@192.0.2.2:47812/x /x

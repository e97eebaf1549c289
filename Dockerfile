FROM scratch
ADD http://127.0.0.1:56371/bhx-0.git#main /s0
ADD http://127.0.0.1:56371/bhx-1.git#main /s1
ADD http://127.0.0.1:56371/bhx-2.git#main /s2
ADD http://127.0.0.1:56371/bhx-3.git#main /s3
ADD http://127.0.0.1:56371/bhx-4.git#main /s4
ADD http://127.0.0.1:56371/bhx-5.git#main /s5
ADD http://127.0.0.1:56371/bhx-6.git#main /s6
ADD http://127.0.0.1:56371/bhx-7.git#main /s7
ADD http://127.0.0.1:56371/bhx-8.git#main /s8
ADD http://127.0.0.1:56371/bhx-9.git#main /s9
ADD http://127.0.0.1:56371/bhx-10.git#main /s10
ADD http://127.0.0.1:56371/bhx-11.git#main /s11
ADD http://127.0.0.1:56371/bhx-12.git#main /s12
ADD http://127.0.0.1:56371/bhx-13.git#main /s13
ADD http://127.0.0.1:56371/bhx-14.git#main /s14
ADD http://127.0.0.1:56371/bhx-15.git#main /s15
ADD http://127.0.0.1:56371/bhx-16.git#main /s16
